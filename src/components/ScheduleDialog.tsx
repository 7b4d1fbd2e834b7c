/** @jsx h */
/** @jsxFrag Fragment */
/**
 * The Schedule… dialog: the common choices and the cron they write, the time
 * zone, an end date and the run context, checked as they are typed. Save
 * keeps the dialog open until the server accepts the schedule, and shows
 * the server's refusal beside the field it names.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { RemoteModel } from '../model';
import {
  bodyFrom,
  choosePreset,
  clock,
  dayName,
  describeSchedule,
  formFrom,
  HOUR_STEPS,
  IPreset,
  IScheduleForm,
  IScheduleLimits,
  MINUTE_STEPS,
  PresetKind,
  ScheduleField,
  scheduleLimits,
  typeCron,
  untilInstant,
  validateForm,
  WEEK_ORDER
} from '../schedule';
import { browserTimeZone, timeZones, zonedDate } from '../timeZones';
import { IScheduleBody } from '../types';
import {
  ContextField,
  Field,
  FormDialog,
  FormError,
  FormState,
  useFieldIds,
  useFormState
} from './FormDialog';
import { cls } from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/** The dialog's state, shared by the widget and its React body. */
export class ScheduleDialogState extends FormState<
  IScheduleForm,
  ScheduleField
> {
  constructor(options: {
    form: IScheduleForm;
    limits: IScheduleLimits;
    zones: string[];
    trans: TranslationBundle;
    now: () => number;
  }) {
    super(options.form, options.trans, form =>
      validateForm(form, options.trans, options.now(), options.limits)
    );
    this.limits = options.limits;
    this.zones = options.zones;
  }

  readonly limits: IScheduleLimits;
  readonly zones: string[];
}

/**
 * The dialog: Save sends the schedule and closes only once the server took
 * it; an invalid form, or the server's refusal, keeps it open.
 */
export class ScheduleDialog extends FormDialog<IScheduleForm> {
  constructor(options: ScheduleDialog.IOptions) {
    const { state, active } = options;
    const { trans } = state;
    super({
      state,
      title: options.isNew
        ? trans.__('Schedule %1', options.name)
        : trans.__('Edit the schedule of %1', options.name),
      accept: options.isNew
        ? trans.__('Create schedule')
        : trans.__('Save schedule'),
      body: ReactWidget.create(<ScheduleForm state={state} />),
      save: form => options.save(bodyFrom(form, active))
    });
  }
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

/** The labels of the preset kinds. */
function kindLabel(kind: PresetKind, trans: TranslationBundle): string {
  const labels: { [kind: string]: string } = {
    minutes: trans.__('Every few minutes'),
    hours: trans.__('Every few hours'),
    daily: trans.__('Daily'),
    weekly: trans.__('Weekly'),
    monthly: trans.__('Monthly')
  };
  return labels[kind] ?? trans.__('Custom (cron)');
}

function ScheduleForm(props: { state: ScheduleDialogState }): JSX.Element {
  const { state } = props;
  useFormState(state);
  const { form, limits, trans, zones } = state;
  const preset = form.preset;
  const { id: idOf, check, aria } = useFieldIds(state);
  const ids = {
    kind: idOf('kind'),
    every: idOf('every'),
    time: idOf('time'),
    minute: idOf('minute'),
    dom: idOf('dom'),
    cron: idOf('cron'),
    zone: idOf('zone'),
    until: idOf('until')
  };
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
  const problems = state.problems;

  return (
    <form
      className={cls('form')}
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
          <span className={cls('formInline')}>
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
            <span className={cls('formInline')}>
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
          {...check('days')}
        >
          <div
            className={cls('scheduleDays')}
            role="group"
            aria-label={trans.__('Days of the week')}
            aria-describedby={aria('days')['aria-describedby']}
          >
            {WEEK_ORDER.map(day => {
              const checked = preset.days.includes(day);
              const single = limits.maxDays === 1;
              return (
                <label key={day}>
                  <input
                    type={single ? 'radio' : 'checkbox'}
                    name={idOf('day')}
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
        {...check('cron')}
        hint={
          cronReadOnly
            ? trans.__('This connection runs daily or weekly schedules only.')
            : trans.__('minute hour day-of-month month day-of-week')
        }
      >
        <input
          id={ids.cron}
          className={cls('jp-mod-styled code')}
          type="text"
          spellCheck={false}
          autoComplete="off"
          readOnly={cronReadOnly}
          {...aria('cron')}
          value={form.cron}
          onChange={event =>
            state.setForm(typeCron(form, event.target.value), ['cron', 'days'])
          }
        />
      </Field>

      <Field
        label={trans.__('Time zone')}
        htmlFor={ids.zone}
        {...check('timezone')}
      >
        <select
          id={ids.zone}
          className="jp-mod-styled"
          disabled={!!limits.zone && form.timezone === limits.zone}
          {...aria('timezone')}
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
        {...check('until')}
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
          {...aria('until')}
          value={form.until}
          onChange={event =>
            state.setForm({ ...form, until: event.target.value }, ['until'])
          }
        />
      </Field>

      {(limits.takesContext || form.context.trim() !== '') && (
        <ContextField
          state={state}
          hint={trans.__(
            'A JSON object each scheduled run gets as its context.json.'
          )}
        />
      )}

      <p className={cls('scheduleSummary')} aria-live="polite">
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

      <FormError
        state={state}
        shown={['cron', 'timezone', 'until', 'templateContext', 'days']}
      />
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
