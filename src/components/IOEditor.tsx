/** @jsx h */
/** @jsxFrag Fragment */
import {
  addBelowIcon,
  deleteIcon,
  moveDownIcon,
  moveUpIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import {
  fieldsOf,
  hasNotebookIO,
  IDraft,
  IField,
  patchOf,
  problemsOf,
  problemOf,
  readerCode,
  serverFields,
  settingOf,
  settingsOf,
  textOf,
  toItem,
  typeKey,
  typeOf,
  TYPES,
  Value,
  valuesOf,
  Where,
  words
} from '../io';
import { cls, IconButton, ISectionProps, PanelButton } from './common';

// The elements are made by a local name (the pragmas above): a call costs
// the minified bundle 3 bytes, where `React.createElement` through its
// import costs 18.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/** The form while it is open. */
interface IEdit {
  /** The notebook it edits (`connection/id`): another link drops it. */
  key: string;
  settings: { [name: string]: Value };
  inputs: IDraft[];
  outputs: IDraft[];
  /** The server's field errors of the last save, until the next change. */
  server: { [at: string]: string };
}

const MUTED = cls('small muted');

/**
 * The linked notebook's settings beyond its name: the files its runs find
 * in INPUT_DIR (each with a cell that reads it) and leave in OUTPUT_DIR,
 * and one form for the description, the image version, the inputs and the
 * outputs, saved with one PATCH: for a kind whose PATCH takes them.
 */
export function NotebookSettings(props: ISectionProps): JSX.Element | null {
  const { model, trans } = props;
  const [state, setState] = React.useState<IEdit | null>(null);
  const remote = model.remoteNotebook;
  const link = model.link;
  const connection = model.linkConnection ?? undefined;
  const io = hasNotebookIO(connection?.kind);
  const settings = settingsOf(connection);
  // A notebook just created on a kind with settings opens them for editing.
  const startRef = React.useRef<(() => void) | null>(null);
  const created = remote && link ? `${link.connection}/${remote.id}` : '';
  React.useEffect(() => {
    if (created && settings.length && model.chooser.takeCreated(created)) {
      startRef.current?.();
    }
  });
  if (!remote || !link) {
    return null;
  }
  const held = (field: IField) =>
    textOf(field, remote[field.name as keyof typeof remote]);
  const key = `${link.connection}/${remote.id}`;
  const edit = state?.key === key ? state : null;
  const before: { [name: string]: unknown } = {
    inputs: remote.inputs ?? [],
    outputs: remote.outputs ?? []
  };
  for (const field of settings) {
    before[field.name] = settingOf(field, held(field));
  }
  const rows = (where: Where): IDraft[] =>
    (remote[where] ?? []).map(item => ({
      item,
      values: valuesOf(where, item)
    }));
  const change = (next: Partial<IEdit>) =>
    setState({ ...edit!, server: {}, ...next });

  let problems: { [at: string]: string } = {};
  let patch = {};
  if (edit) {
    const after: { [name: string]: unknown } = {
      inputs: edit.inputs.map(d => toItem('inputs', d.item, d.values)),
      outputs: edit.outputs.map(d => toItem('outputs', d.item, d.values))
    };
    for (const field of settings) {
      const value = edit.settings[field.name];
      after[field.name] = settingOf(field, value);
      const problem = problemOf(field, value, trans);
      if (problem) {
        problems[field.name] = problem;
      }
    }
    patch = patchOf(before, after);
    problems = {
      ...problems,
      ...edit.server,
      ...problemsOf('inputs', edit.inputs, trans),
      ...problemsOf('outputs', edit.outputs, trans)
    };
  }

  const start = () => {
    setState({
      key,
      settings: Object.fromEntries(settings.map(f => [f.name, held(f)])),
      inputs: rows('inputs'),
      outputs: rows('outputs'),
      server: {}
    });
  };

  startRef.current = start;

  const save = async () => {
    if (await model.updateNotebook(patch)) {
      setState(null);
    } else {
      setState({
        ...edit!,
        server: serverFields(model.error('notebook')?.fields)
      });
    }
  };

  const list = (where: Where) => {
    const drafts = edit ? edit[where] : rows(where);
    const set = (next: IDraft[]) => change({ [where]: next });
    const inputs = where === 'inputs';
    const add = inputs ? trans.__('Add an input…') : trans.__('Add an output…');
    return (
      (edit ? io : drafts.length > 0) && (
        <>
          <p className={MUTED}>
            {inputs
              ? trans.__('In INPUT_DIR (and context.json, given a context)')
              : trans.__('Taken from OUTPUT_DIR')}
          </p>
          <ul className={cls('io')}>
            {drafts.map((draft, index) => {
              const { item, values } = draft;
              const type = typeOf(where, item);
              const at = `${where}[${index}].`;
              const name = String(
                values.fileName || values.directoryName || item.fileName || ''
              );
              const code = readerCode(item);
              const move = (by: number) => {
                const next = [...drafts];
                next.splice(index + by, 0, ...next.splice(index, 1));
                set(next);
              };
              const head = (
                <div className={cls('row grow')}>
                  <span className={cls('grow ellipsis')}>{name}</span>
                  <span className={cls('muted')}>{words(type)}</span>
                  {edit ? (
                    <>
                      <IconButton
                        icon={moveUpIcon}
                        label={trans.__('Move up')}
                        disabled={!index}
                        onClick={() => move(-1)}
                      />
                      <IconButton
                        icon={moveDownIcon}
                        label={trans.__('Move down')}
                        disabled={index === drafts.length - 1}
                        onClick={() => move(1)}
                      />
                      <IconButton
                        icon={deleteIcon}
                        label={trans.__('Remove %1', name || words(type))}
                        onClick={() => set(drafts.filter(d => d !== draft))}
                      />
                    </>
                  ) : (
                    inputs && (
                      <IconButton
                        icon={addBelowIcon}
                        label={trans.__('Insert a cell that reads %1', name)}
                        title={
                          code
                            ? undefined
                            : trans.__('A template: known when the run starts.')
                        }
                        disabled={!code || !model.notebook}
                        onClick={() => model.notebook?.insertCode(code!)}
                      />
                    )
                  )}
                </div>
              );
              return (
                <li key={index} data-direction={where}>
                  {edit ? (
                    <div className={cls('chooser grow')}>
                      {head}
                      {fieldsOf(where, type).map(field => (
                        <Field
                          key={field.name}
                          field={field}
                          value={values[field.name]}
                          problem={problems[at + field.name]}
                          trans={trans}
                          onChange={value =>
                            set(
                              drafts.map(d =>
                                d === draft
                                  ? {
                                      item,
                                      values: { ...values, [field.name]: value }
                                    }
                                  : d
                              )
                            )
                          }
                        />
                      ))}
                    </div>
                  ) : (
                    head
                  )}
                </li>
              );
            })}
          </ul>
          {edit && (
            <select
              className="jp-mod-styled"
              aria-label={add}
              value=""
              onChange={event => {
                const item = { [typeKey(where)]: event.target.value };
                const draft = { item, values: valuesOf(where, item) };
                set([...drafts, draft]);
              }}
            >
              <option value="">{add}</option>
              {Object.keys(TYPES[where]).map(type => (
                <option key={type} value={type}>
                  {words(type)}
                </option>
              ))}
            </select>
          )}
          {problems[where] && (
            <p className={cls('fieldError')}>{problems[where]}</p>
          )}
        </>
      )
    );
  };

  return (
    <>
      {edit &&
        settings.map(field => (
          <Field
            key={field.name}
            field={field}
            value={edit.settings[field.name]}
            problem={problems[field.name]}
            trans={trans}
            onChange={value =>
              change({ settings: { ...edit.settings, [field.name]: value } })
            }
          />
        ))}
      {edit && !!remote.hiddenEnvironmentVariables?.length && (
        <p className={MUTED}>
          {trans.__(
            'Also set (kept; changed only in Civis, as they look like credentials): %1',
            remote.hiddenEnvironmentVariables.join(', ')
          )}
        </p>
      )}
      {list('inputs')}
      {list('outputs')}
      {settings.length > 0 && (
        <div className={cls('row')}>
          {edit ? (
            <>
              <PanelButton
                className="jp-mod-accept"
                disabled={
                  model.isBusy('rename') ||
                  Object.keys(problems).length > 0 ||
                  !Object.keys(patch).length
                }
                onClick={() => void save()}
              >
                {trans.__('Save')}
              </PanelButton>
              <PanelButton minimal onClick={() => setState(null)}>
                {trans.__('Discard')}
              </PanelButton>
            </>
          ) : (
            <PanelButton onClick={start}>
              {trans.__('Edit settings')}
            </PanelButton>
          )}
        </div>
      )}
    </>
  );
}

/** One field of a form, rendered from its descriptor. */
function Field(props: {
  field: IField;
  value: Value;
  problem?: string;
  onChange: (value: Value) => void;
  trans: ISectionProps['trans'];
}): JSX.Element {
  const { field, value, problem, onChange, trans } = props;
  const label = trans.__(field.label) + (field.required ? ' *' : '');
  const error = problem && <span className={cls('fieldError')}>{problem}</span>;
  if (field.kind === 'checkbox') {
    return (
      <label className={cls('row')}>
        <input
          type="checkbox"
          checked={!!value}
          onChange={event => onChange(event.target.checked)}
        />
        {label}
        {error}
      </label>
    );
  }
  const control = {
    className: 'jp-mod-styled',
    value: String(value),
    'aria-invalid': !!problem,
    onChange: (event: React.ChangeEvent<{ value: string }>) =>
      onChange(event.target.value)
  };
  return (
    <label className={cls('scheduleControl')}>
      <span className={MUTED}>{label}</span>
      {field.kind === 'select' ? (
        <select {...control}>
          {(field.required && value ? [] : [''])
            .concat(field.options!)
            .map(option => (
              <option key={option} value={option}>
                {option || '—'}
              </option>
            ))}
        </select>
      ) : field.kind === 'text' || field.kind === 'number' ? (
        <input {...control} />
      ) : (
        <textarea {...control} rows={3} />
      )}
      {error}
    </label>
  );
}
