/**
 * The Schedule… dialog: the common choices and the cron they write, the time
 * zone, an end date and the run context, checked as they are typed. Save
 * keeps the dialog open until the server accepts the schedule, and shows
 * the server's refusal beside the field it names.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { RemoteApiError } from '../api';
import { errorHint } from '../messages';
import { RemoteModel } from '../model';
import {
  bodyFrom,
  browserTimeZone,
  choosePreset,
  clock,
  dayName,
  describeSchedule,
  FieldProblems,
  formFrom,
  HOUR_STEPS,
  IPreset,
  IScheduleForm,
  IScheduleLimits,
  MINUTE_STEPS,
  PresetKind,
  ScheduleField,
  scheduleLimits,
  timeZones,
  typeCron,
  untilInstant,
  validateForm,
  WEEK_ORDER,
  zonedDate
} from '../schedule';
import { IScheduleBody } from '../types';

/** A refusal of the server, as the dialog shows it. */
interface IDialogError {
  message: string;
  reason: string;
  fields: { [field: string]: string };
}

/** The dialog's state, shared by the widget and its React body. */
export class ScheduleDialogState {
  constructor(options: {
    form: IScheduleForm;
    limits: IScheduleLimits;
    zones: string[];
    trans: TranslationBundle;
    now: () => number;
  }) {
    this.form = options.form;
    this.limits = options.limits;
    this.zones = options.zones;
    this.trans = options.trans;
    this.now = options.now;
  }

  readonly limits: IScheduleLimits;
  readonly zones: string[];
  readonly trans: TranslationBundle;
  readonly now: () => number;
  form: IScheduleForm;
  /** The server's last refusal (a field's part is dropped once it is edited). */
  error: IDialogError | null = null;
  saving = false;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** What is wrong with the form now (checked as it is typed). */
  get problems(): FieldProblems {
    return validateForm(this.form, this.trans, this.now(), this.limits);
  }

  get valid(): boolean {
    return Object.keys(this.problems).length === 0;
  }

  /** The problem to show beside a field: the form's own, else the server's. */
  problem(field: ScheduleField): string | undefined {
    return this.problems[field] ?? this.error?.fields[field];
  }

  setForm(form: IScheduleForm, edited: ScheduleField[]): void {
    this.form = form;
    if (this.error) {
      const fields = { ...this.error.fields };
      for (const field of edited) {
        delete fields[field];
      }
      this.error = { ...this.error, fields };
    }
    this._changed.emit();
  }

  setError(error: Error | null): void {
    if (!error) {
      this.error = null;
    } else if (error instanceof RemoteApiError) {
      this.error = {
        message: error.message,
        reason: error.reason,
        fields: { ...error.fields }
      };
    } else {
      this.error = { message: error.message, reason: 'internal', fields: {} };
    }
    this._changed.emit();
  }

  setSaving(saving: boolean): void {
    this.saving = saving;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}

/** The body of the dialog. */
export class ScheduleDialogBody extends ReactWidget {
  constructor(state: ScheduleDialogState) {
    super();
    this.state = state;
    this.addClass('jp-NotebookRemote-scheduleDialog');
  }

  readonly state: ScheduleDialogState;

  getValue(): IScheduleForm {
    return this.state.form;
  }

  protected render(): JSX.Element {
    return <ScheduleForm state={this.state} />;
  }
}

/**
 * The dialog: Save sends the schedule and closes only once the server took
 * it; an invalid form, or the server's refusal, keeps it open.
 */
export class ScheduleDialog extends Dialog<IScheduleForm> {
  constructor(options: ScheduleDialog.IOptions) {
    const { trans } = options.state;
    const buttons = [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({
        label: options.isNew
          ? trans.__('Create schedule')
          : trans.__('Save schedule')
      })
    ];
    const body = new ScheduleDialogBody(options.state);
    super({
      title: options.isNew
        ? trans.__('Schedule %1', options.name)
        : trans.__('Edit the schedule of %1', options.name),
      body,
      buttons,
      focusNodeSelector: 'select'
    });
    this.addClass('jp-NotebookRemote-scheduleDialogHost');
    this._state = options.state;
    this._buttonList = buttons;
    this._save = options.save;
    this._active = options.active;
    this._state.changed.connect(this._syncAccept, this);
  }

  /** The dialog's state (the tests read and drive it). */
  get state(): ScheduleDialogState {
    return this._state;
  }

  resolve(index?: number): void {
    const button = this._buttonList[index ?? this._buttonList.length - 1];
    if (!button || !button.accept) {
      super.resolve(index);
      return;
    }
    void this._submit(index);
  }

  protected onAfterAttach(msg: any): void {
    super.onAfterAttach(msg);
    this._syncAccept();
  }

  /** The accept button waits for a valid form and for the save in flight. */
  private _syncAccept(): void {
    const accept = this.node.querySelector<HTMLButtonElement>(
      '.jp-Dialog-footer .jp-mod-accept'
    );
    if (accept) {
      accept.disabled = !this._state.valid || this._state.saving;
    }
  }

  private async _submit(index?: number): Promise<void> {
    const state = this._state;
    if (state.saving || !state.valid) {
      return;
    }
    state.setError(null);
    state.setSaving(true);
    let error: Error | null;
    try {
      error = await this._save(bodyFrom(state.form, this._active));
    } catch (reason) {
      error = reason instanceof Error ? reason : new Error(String(reason));
    }
    if (this.isDisposed) {
      return;
    }
    state.setSaving(false);
    if (error) {
      state.setError(error);
      return;
    }
    super.resolve(index);
  }

  private _state: ScheduleDialogState;
  private _buttonList: readonly Dialog.IButton[];
  private _save: (body: IScheduleBody) => Promise<Error | null>;
  private _active: boolean;
}

export namespace ScheduleDialog {
  export interface IOptions {
    state: ScheduleDialogState;
    /** The remote notebook's name, for the title. */
    name: string;
    isNew: boolean;
    /** Whether the saved schedule is active (an edit keeps a pause). */
    active: boolean;
    /** Send the schedule; resolves null when the server took it. */
    save: (body: IScheduleBody) => Promise<Error | null>;
  }
}

// ------------------------------------------------------------------ rendering

/** The end date as an instant, for the summary line. */
function untilIso(form: IScheduleForm): string | null {
  const instant = untilInstant(form);
  return instant === null ? null : new Date(instant).toISOString();
}

/**
 * Render again on every change of the state. Subscribed in a layout effect,
 * right after the first render, so no change made once the dialog shows is
 * missed.
 */
function useDialogState(state: ScheduleDialogState): void {
  const [, rerender] = React.useReducer((n: number) => n + 1, 0);
  React.useLayoutEffect(() => {
    const changed = () => rerender();
    state.changed.connect(changed);
    return () => {
      state.changed.disconnect(changed);
    };
  }, [state]);
}

/** The labels of the preset kinds. */
function kindLabel(kind: PresetKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'minutes':
      return trans.__('Every few minutes');
    case 'hours':
      return trans.__('Every few hours');
    case 'daily':
      return trans.__('Daily');
    case 'weekly':
      return trans.__('Weekly');
    case 'monthly':
      return trans.__('Monthly');
    default:
      return trans.__('Custom (cron)');
  }
}

/** A labelled row of the form, with the problem of its field under it. */
function Field(props: {
  label: string;
  htmlFor?: string;
  problem?: string;
  problemId?: string;
  hint?: React.ReactNode;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-NotebookRemote-scheduleField">
      {props.htmlFor ? (
        <label htmlFor={props.htmlFor}>{props.label}</label>
      ) : (
        <span className="jp-NotebookRemote-scheduleFieldLabel">
          {props.label}
        </span>
      )}
      <div className="jp-NotebookRemote-scheduleControl">
        {props.children}
        {props.hint && !props.problem && (
          <p className="jp-NotebookRemote-scheduleHint">{props.hint}</p>
        )}
        {props.problem && (
          <p
            className="jp-NotebookRemote-fieldError"
            id={props.problemId}
            role="alert"
          >
            {props.problem}
          </p>
        )}
      </div>
    </div>
  );
}

function ScheduleForm(props: { state: ScheduleDialogState }): JSX.Element {
  const { state } = props;
  useDialogState(state);
  const { form, limits, trans, zones } = state;
  const preset = form.preset;
  const id = React.useId();
  const ids = {
    kind: `${id}-kind`,
    every: `${id}-every`,
    time: `${id}-time`,
    minute: `${id}-minute`,
    dom: `${id}-dom`,
    cron: `${id}-cron`,
    zone: `${id}-zone`,
    until: `${id}-until`,
    context: `${id}-context`
  };
  const errorId = (field: string) => `${id}-${field}-error`;
  const describedBy = (field: ScheduleField) =>
    state.problem(field) ? errorId(field) : undefined;
  const setPreset = (patch: Partial<IPreset>) =>
    state.setForm(choosePreset(form, { ...preset, ...patch }), [
      'cron',
      'days'
    ]);
  const kinds = limits.kinds.includes(preset.kind)
    ? limits.kinds
    : [...limits.kinds, preset.kind];
  const cronReadOnly = !limits.kinds.includes('custom');
  const time = clock(preset.hour, preset.minute);
  const onTime = (value: string) => {
    const match = /^(\d{2}):(\d{2})/.exec(value);
    if (match) {
      setPreset({ hour: Number(match[1]), minute: Number(match[2]) });
    }
  };
  const timeInput = (
    <input
      id={ids.time}
      className="jp-mod-styled"
      type="time"
      value={time}
      onChange={event => onTime(event.target.value)}
    />
  );
  const general = state.error;
  const generalFields = Object.entries(general?.fields ?? {}).filter(
    ([field]) =>
      !['cron', 'timezone', 'until', 'templateContext', 'days'].includes(field)
  );
  const hint = general ? errorHint(general.reason, trans) : null;
  const problems = state.problems;

  return (
    <form
      className="jp-NotebookRemote-scheduleForm"
      noValidate
      onSubmit={event => event.preventDefault()}
    >
      <Field label={trans.__('Repeat')} htmlFor={ids.kind}>
        <select
          id={ids.kind}
          className="jp-mod-styled"
          value={preset.kind}
          onChange={event => {
            const kind = event.target.value as PresetKind;
            if (kind === 'custom') {
              state.setForm({ ...form, preset: { ...preset, kind } }, []);
            } else {
              const days =
                kind === 'weekly' && preset.days.length === 0
                  ? [1]
                  : preset.days.slice(0, limits.maxDays);
              setPreset({ kind, days });
            }
          }}
        >
          {kinds.map(kind => (
            <option key={kind} value={kind}>
              {kindLabel(kind, trans)}
            </option>
          ))}
        </select>
      </Field>

      {preset.kind === 'minutes' && (
        <Field label={trans.__('Every')} htmlFor={ids.every}>
          <span className="jp-NotebookRemote-scheduleInline">
            <NumberSelect
              id={ids.every}
              value={preset.every}
              values={MINUTE_STEPS}
              onChange={every => setPreset({ every })}
            />
            <span>{trans.__('minutes')}</span>
          </span>
        </Field>
      )}

      {preset.kind === 'hours' && (
        <>
          <Field label={trans.__('Every')} htmlFor={ids.every}>
            <span className="jp-NotebookRemote-scheduleInline">
              <NumberSelect
                id={ids.every}
                value={preset.every}
                values={HOUR_STEPS}
                onChange={every => setPreset({ every })}
              />
              <span>{trans.__('hours')}</span>
            </span>
          </Field>
          <Field label={trans.__('At minute')} htmlFor={ids.minute}>
            <NumberSelect
              id={ids.minute}
              value={preset.minute}
              values={range(0, 59)}
              text={minute => `:${String(minute).padStart(2, '0')}`}
              onChange={minute => setPreset({ minute })}
            />
          </Field>
        </>
      )}

      {preset.kind === 'weekly' && (
        <Field
          label={limits.maxDays === 1 ? trans.__('Day') : trans.__('Days')}
          problem={state.problem('days')}
          problemId={errorId('days')}
        >
          <div
            className="jp-NotebookRemote-scheduleDays"
            role="group"
            aria-label={trans.__('Days of the week')}
            aria-describedby={describedBy('days')}
          >
            {WEEK_ORDER.map(day => {
              const checked = preset.days.includes(day);
              const single = limits.maxDays === 1;
              return (
                <label key={day}>
                  <input
                    type={single ? 'radio' : 'checkbox'}
                    name={`${id}-day`}
                    checked={checked}
                    onChange={() =>
                      setPreset({
                        days: single
                          ? [day]
                          : checked
                            ? preset.days.filter(d => d !== day)
                            : [...preset.days, day].sort((a, b) => a - b)
                      })
                    }
                  />
                  <span>{dayName(day, trans).slice(0, 3)}</span>
                </label>
              );
            })}
          </div>
        </Field>
      )}

      {preset.kind === 'monthly' && (
        <Field
          label={trans.__('On day')}
          htmlFor={ids.dom}
          hint={
            preset.dayOfMonth > 28
              ? trans.__(
                  'Months without day %1 have no run.',
                  preset.dayOfMonth
                )
              : undefined
          }
        >
          <NumberSelect
            id={ids.dom}
            value={preset.dayOfMonth}
            values={range(1, 31)}
            onChange={dayOfMonth => setPreset({ dayOfMonth })}
          />
        </Field>
      )}

      {(preset.kind === 'daily' ||
        preset.kind === 'weekly' ||
        preset.kind === 'monthly') && (
        <Field label={trans.__('At')} htmlFor={ids.time}>
          {timeInput}
        </Field>
      )}

      <Field
        label={trans.__('Cron')}
        htmlFor={ids.cron}
        problem={state.problem('cron')}
        problemId={errorId('cron')}
        hint={
          cronReadOnly
            ? trans.__('This connection runs daily or weekly schedules only.')
            : trans.__('minute hour day-of-month month day-of-week')
        }
      >
        <input
          id={ids.cron}
          className="jp-mod-styled jp-NotebookRemote-cron"
          type="text"
          spellCheck={false}
          autoComplete="off"
          readOnly={cronReadOnly}
          aria-invalid={!!state.problem('cron')}
          aria-describedby={describedBy('cron')}
          value={form.cron}
          onChange={event =>
            state.setForm(typeCron(form, event.target.value), ['cron', 'days'])
          }
        />
      </Field>

      <Field
        label={trans.__('Time zone')}
        htmlFor={ids.zone}
        problem={state.problem('timezone')}
        problemId={errorId('timezone')}
      >
        <select
          id={ids.zone}
          className="jp-mod-styled"
          disabled={!!limits.zone && form.timezone === limits.zone}
          aria-invalid={!!state.problem('timezone')}
          aria-describedby={describedBy('timezone')}
          value={form.timezone}
          onChange={event =>
            state.setForm({ ...form, timezone: event.target.value }, [
              'timezone',
              'until'
            ])
          }
        >
          {(zones.includes(form.timezone)
            ? zones
            : [form.timezone, ...zones]
          ).map(zone => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </select>
      </Field>

      <Field
        label={
          limits.needsUntil ? trans.__('Until') : trans.__('Until (optional)')
        }
        htmlFor={ids.until}
        problem={state.problem('until')}
        problemId={errorId('until')}
        hint={
          form.until
            ? trans.__('Runs stop after this day ends in %1.', form.timezone)
            : limits.needsUntil
              ? undefined
              : trans.__(
                  'No end date: runs go on until you remove the schedule.'
                )
        }
      >
        <input
          id={ids.until}
          className="jp-mod-styled"
          type="date"
          aria-invalid={!!state.problem('until')}
          aria-describedby={describedBy('until')}
          value={form.until}
          onChange={event =>
            state.setForm({ ...form, until: event.target.value }, ['until'])
          }
        />
      </Field>

      {(limits.takesContext || form.context.trim() !== '') && (
        <Field
          label={trans.__('Run context (optional JSON)')}
          htmlFor={ids.context}
          problem={state.problem('templateContext')}
          problemId={errorId('templateContext')}
          hint={trans.__(
            'A JSON object each scheduled run gets as its context.json.'
          )}
        >
          <textarea
            id={ids.context}
            className="jp-mod-styled jp-NotebookRemote-scheduleContext"
            rows={3}
            spellCheck={false}
            placeholder='{"region": "north"}'
            aria-invalid={!!state.problem('templateContext')}
            aria-describedby={describedBy('templateContext')}
            value={form.context}
            onChange={event =>
              state.setForm({ ...form, context: event.target.value }, [
                'templateContext'
              ])
            }
          />
        </Field>
      )}

      <p className="jp-NotebookRemote-scheduleSummary" aria-live="polite">
        {problems.cron
          ? ' '
          : describeSchedule(
              {
                cron: form.cron,
                timezone: form.timezone,
                until: untilIso(form)
              },
              trans
            )}
      </p>

      {state.saving && (
        <p className="jp-NotebookRemote-muted" role="status">
          {trans.__('Saving…')}
        </p>
      )}
      {general && (general.message || generalFields.length > 0) && (
        <div
          className="jp-NotebookRemote-error"
          role="alert"
          data-reason={general.reason}
        >
          <span className="jp-NotebookRemote-errorMessage">
            {general.message}
          </span>
          {generalFields.length > 0 && (
            <ul className="jp-NotebookRemote-errorFields">
              {generalFields.map(([field, problem]) => (
                <li key={field}>
                  <code>{field}</code> {problem}
                </li>
              ))}
            </ul>
          )}
          {hint && <span className="jp-NotebookRemote-errorHint">{hint}</span>}
        </div>
      )}
    </form>
  );
}

// ------------------------------------------------------------------ opening

/** Open the dialog for the linked notebook; resolves whether it saved. */
export async function openScheduleDialog(
  model: RemoteModel,
  trans: TranslationBundle
): Promise<boolean> {
  const link = model.link;
  if (!link) {
    return false;
  }
  const schedule = model.schedule;
  const limits = scheduleLimits(model.linkConnection?.kind);
  const zone = limits.zone ?? browserTimeZone();
  const form = formFrom(schedule, zone);
  if (limits.needsUntil && !form.until) {
    // A kind that needs an end: a year from now, to change at will.
    form.until = zonedDate(
      new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString(),
      zone
    );
  }
  const state = new ScheduleDialogState({
    form,
    limits,
    zones: timeZones([zone, schedule?.timezone ?? '']),
    trans,
    now: () => Date.now()
  });
  const dialog = new ScheduleDialog({
    state,
    name: model.remoteNotebook?.name ?? link.notebookId,
    isNew: !schedule,
    // An edit keeps a pause; a kind that cannot pause is always sent active.
    active: limits.canPause ? (schedule?.active ?? true) : true,
    save: body => model.saveSchedule(body)
  });
  const result = await dialog.launch();
  return result.button.accept;
}

/** Ask before removing the schedule. */
export async function confirmRemoveSchedule(
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Remove this schedule?'),
    body: trans.__(
      'No more runs will start on their own. Runs it started stay in the list.'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep schedule') }),
      Dialog.warnButton({ label: trans.__('Remove schedule') })
    ]
  });
  return result.button.accept;
}

/** A choice of numbers (every N, at minute M, on day D), each shown by ``text``. */
function NumberSelect(props: {
  id: string;
  value: number;
  values: readonly number[];
  text?: (value: number) => string;
  onChange: (value: number) => void;
}): JSX.Element {
  const { id, value, values, text = String, onChange } = props;
  return (
    <select
      id={id}
      className="jp-mod-styled"
      value={value}
      onChange={event => onChange(Number(event.target.value))}
    >
      {values.map(n => (
        <option key={n} value={n}>
          {text(n)}
        </option>
      ))}
    </select>
  );
}

/** The whole numbers from ``first`` to ``last``. */
function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
