/** @jsx h */
/** @jsxFrag Fragment */
/**
 * Run with options…: the query time, the run context and, where the
 * connection reports a run's end, an email and a callback URL, checked as
 * they are typed; Run keeps the dialog open until the run started, with the
 * server's refusal beside its field. Export input data… is the same dialog
 * without the context. And, in a run's details, what it ran with.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { RemoteModel } from '../model';
import { askOverChanged } from '../pushChecked';
import {
  AGO,
  IRunForm,
  localInput,
  optionsOfRun,
  RunField,
  runForm,
  runOptions,
  runProblems
} from '../runOptions';
import { CommandIDs } from '../tokens';
import { IExecution, IRunOptions } from '../types';
import { IPanelActions } from './actions';
import { cls, ISectionProps, PanelButton } from './common';
import { RanWith } from './RunParts';
import {
  ContextField,
  Field,
  FormDialog,
  FormError,
  FormState,
  useFieldIds,
  useFormState
} from './FormDialog';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/** Which parts of the form a dialog shows. */
interface IShows {
  /** The query time. */
  when: boolean;
  context: boolean;
  /** Email and callback URL (the connection's `runNotifications`). */
  notify: boolean;
  /** "Push the notebook first". */
  push: boolean;
  /** What to say when the form has neither a query time nor a context. */
  none: string;
}

function RunOptionsForm(props: {
  state: FormState<IRunForm, RunField>;
  shows: IShows;
}): JSX.Element {
  const { state, shows } = props;
  useFormState(state);
  const { form, trans } = state;
  const { id, check, aria } = useFieldIds(state);
  const set = (patch: Partial<IRunForm>, edited: RunField[] = []) =>
    state.setForm({ ...form, ...patch }, edited);
  const text = (field: 'email' | 'callbackUrl', label: string) => (
    <Field label={label} htmlFor={id(field)} {...check(field)}>
      <input
        id={id(field)}
        className="jp-mod-styled"
        type={field === 'email' ? 'email' : 'url'}
        {...aria(field)}
        value={form[field]}
        onChange={event => set({ [field]: event.target.value }, [field])}
      />
    </Field>
  );
  const label = trans.__('Query time');
  const choices = [
    ['now', trans.__('Now')],
    [AGO[0], trans.__('1 hour ago')],
    [AGO[1], trans.__('1 day ago')],
    [AGO[2], trans.__('7 days ago')],
    ['at', trans.__('A date and time')]
  ];
  return (
    <form
      className={cls('form')}
      noValidate
      onSubmit={event => event.preventDefault()}
    >
      {!shows.when && !shows.context && (
        <p className={cls('hint')}>{shows.none}</p>
      )}
      {shows.when && (
        <Field label={label} htmlFor={id('when')} {...check('relativeTo')}>
          <select
            id={id('when')}
            className="jp-mod-styled"
            value={form.when}
            onChange={event =>
              set(
                {
                  when: event.target.value,
                  at: form.at || localInput(Date.now())
                },
                ['relativeTo']
              )
            }
          >
            {choices.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
          {form.when === 'at' && (
            <input
              className="jp-mod-styled"
              type="datetime-local"
              step={1}
              aria-label={label}
              {...aria('relativeTo')}
              value={form.at}
              onChange={event =>
                set({ at: event.target.value }, ['relativeTo'])
              }
            />
          )}
        </Field>
      )}
      {shows.context && <ContextField state={state} />}
      {shows.notify && text('email', trans.__('Email (optional)'))}
      {shows.notify && text('callbackUrl', trans.__('Callback URL (optional)'))}
      {shows.push && (
        <label>
          <input
            type="checkbox"
            checked={form.push}
            onChange={event => set({ push: event.target.checked })}
          />{' '}
          {trans.__('Push the notebook first')}
        </label>
      )}
      <FormError
        state={state}
        shown={['relativeTo', 'templateContext', 'email', 'callbackUrl']}
      />
    </form>
  );
}

/**
 * Open Run with options… for the linked notebook, filled with its last
 * options or, given a `run` of it, with what that run ran with; with
 * `exportData`, the same dialog asks for an input data export. Resolves
 * whether the run started (or the export was queued).
 */
export async function openRunOptions(
  model: RemoteModel,
  trans: TranslationBundle,
  run?: IExecution,
  exportData = false
): Promise<boolean> {
  const link = model.link;
  if (!link) {
    return false;
  }
  const kept = link.lastRunOptions;
  const connection = model.linkConnection;
  // An older server does not say: it is asked, and refuses what it must.
  const takesContext = connection?.runContext !== false;
  const shows: IShows = {
    when: exportData || takesContext,
    context: !exportData && takesContext,
    notify: exportData || !!connection?.runNotifications,
    push: !exportData && model.can('push'),
    none: trans.__(
      'Runs on %1 take no query time or context.',
      connection?.label ?? link.connection
    )
  };
  const form = runForm(
    run ? optionsOfRun(run, kept) : kept,
    shows.push && model.localChangedSincePush
  );
  // What the dialog does not show, it does not send.
  if (!shows.notify) {
    form.email = form.callbackUrl = '';
  }
  if (!shows.context) {
    form.context = '';
  }
  if (!shows.when) {
    form.when = 'now';
  }
  const state = new FormState(form, trans, (f: IRunForm) =>
    runProblems(f, trans)
  );
  // A push refused because the remote changed closes the dialog, which then
  // asks (overwrite, open the remote's copy, or not push) and runs if pushed.
  const overChanged: { options: IRunOptions; message: string }[] = [];
  const runOrAsk = async (form: IRunForm) => {
    const options = runOptions(form);
    const refusal = await model.runWithOptions(options, form.push);
    if (form.push && refusal?.reason === 'remote_changed') {
      overChanged.push({ options, message: refusal.message });
      return null;
    }
    return refusal;
  };
  const name = model.remoteNotebook?.name ?? link.notebookId;
  const dialog = new FormDialog<IRunForm>({
    state,
    title: exportData
      ? trans.__('Export the input data of %1', name)
      : trans.__('Run %1 with options', name),
    accept: exportData ? trans.__('Request export') : trans.__('Run'),
    body: ReactWidget.create(<RunOptionsForm state={state} shows={shows} />),
    save: form =>
      exportData ? model.requestInputExport(runOptions(form)) : runOrAsk(form)
  });
  const accepted = (await dialog.launch()).button.accept;
  const asked = overChanged.pop();
  if (asked) {
    return (
      (await askOverChanged(model, trans, asked.message)) &&
      (await model.runWithOptions(asked.options, false)) === null
    );
  }
  return accepted;
}

/** What a run ran with ({@link RanWith}), and running again with it. */
export function RunOptionsDetails(
  props: ISectionProps & { execution: IExecution; actions: IPanelActions }
): JSX.Element {
  const { execution: run, actions, model, trans } = props;
  return (
    <>
      <RanWith execution={run} trans={trans} />
      <PanelButton
        minimal
        disabled={!actions.isEnabled(CommandIDs.runWithOptions)}
        onClick={() => void openRunOptions(model, trans, run)}
      >
        {trans.__('Run again with these options…')}
      </PanelButton>
    </>
  );
}
