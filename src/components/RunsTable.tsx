/** @jsx h */
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, stopIcon } from '@jupyterlab/ui-components';
import React from 'react';

import {
  formatTime,
  formatTimestamp,
  runDuration,
  runState,
  sourceLabel,
  statusLabel
} from '../format';
import { IOverviewRun, OverviewModel, StatusFilter } from '../models/overview';
import { linkKey } from '../models/workspace';
import { ExecutionStatus } from '../types';
import {
  LogText,
  noOutputs,
  RanWith,
  RunErrors,
  RunFile,
  RunHeader,
  RunTimes
} from './RunParts';
import {
  cls,
  ErrorMessage,
  IconButton,
  PanelButton,
  StatusBadge
} from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

/** What the runs view asks of the application (commands, dialogs). */
export interface IRunsViewActions {
  /** Ask, then cancel the run. */
  cancel: (run: IOverviewRun) => void;
  /** Open the local notebook and show the run in the panel. */
  openNotebook: (run: IOverviewRun) => void;
  /** Check every notebook's runs now. */
  refresh: () => void;
}

const STATUSES: ExecutionStatus[] = [
  'queued',
  'inProgress',
  'canceling',
  'completed',
  'errored',
  'timeout',
  'canceled'
];

/** The "Remote runs" view: filters, the table of runs, the run picked. */
export function RunsTableView(props: {
  model: OverviewModel;
  connections: readonly { id: string; label: string }[];
  actions: IRunsViewActions;
  trans: TranslationBundle;
  now?: number;
}): JSX.Element {
  const { model, actions, trans } = props;
  const now = props.now ?? Date.now();
  const runs = model.filtered;
  const selected = model.selected;
  const connectionLabel = (id: string) =>
    props.connections.find(c => c.id === id)?.label || id;
  const usedConnections = [...new Set(model.notebooks.map(n => n.connection))];

  return (
    <div className={cls('runsView')}>
      <div className={cls('titleBar')}>
        <h2 className={cls('title')}>{trans.__('Remote runs')}</h2>
        <IconButton
          icon={refreshIcon}
          label={trans.__('Refresh runs')}
          title={trans.__('Check the runs of every notebook now')}
          onClick={actions.refresh}
        />
      </div>
      <div
        className={cls('filters')}
        role="group"
        aria-label={trans.__('Filters')}
      >
        <FilterSelect
          label={trans.__('Status')}
          value={model.filters.status}
          onChange={status =>
            model.setFilters({ status: status as StatusFilter })
          }
          options={[
            ['', trans.__('All statuses')],
            ['active', trans.__('Going (queued, in progress, canceling)')],
            ...STATUSES.map(s => [s, statusLabel(s, trans)] as [string, string])
          ]}
        />
        <FilterSelect
          label={trans.__('Connection')}
          value={model.filters.connection}
          onChange={connection => model.setFilters({ connection })}
          options={[
            ['', trans.__('All connections')],
            ...usedConnections.map(
              id => [id, connectionLabel(id)] as [string, string]
            )
          ]}
        />
        <FilterSelect
          label={trans.__('Notebook')}
          value={model.filters.notebook}
          onChange={notebook => model.setFilters({ notebook })}
          options={[
            ['', trans.__('All notebooks')],
            ...model.notebooks.map(
              n => [linkKey(n), model.label(n)] as [string, string]
            )
          ]}
        />
      </div>
      {model.errors.map(({ link, error }) => (
        <div key={linkKey(link)} className={cls('viewError')}>
          <span className={cls('muted')}>
            {trans.__('Runs of %1 could not be read:', model.label(link))}
          </span>
          <ErrorMessage error={error} trans={trans} />
        </div>
      ))}
      {model.notebooks.length === 0 ? (
        <p className={cls('muted empty')}>
          {trans.__(
            'No notebook of this workspace is linked yet. Open a notebook and link it in the Remote Notebooks panel, or right-click a notebook in the file browser.'
          )}
        </p>
      ) : (
        <table className={cls('runsTable')}>
          <caption className={cls('srOnly')}>
            {trans.__('Runs of the notebooks of this workspace, newest first')}
          </caption>
          <thead>
            <tr>
              {[
                trans.__('Status'),
                trans.__('Notebook'),
                trans.__('Connection'),
                trans.__('Source'),
                trans.__('Started'),
                trans.__('Duration')
              ].map(label => (
                <th key={label} scope="col" className={cls('cell')}>
                  {label}
                </th>
              ))}
              <th scope="col" className={cls('cell')}>
                <span className={cls('srOnly')}>{trans.__('Actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map(run => (
              <RunRow
                key={run.key}
                run={run}
                model={model}
                selected={run.key === selected?.key}
                connection={connectionLabel(run.link.connection)}
                actions={actions}
                trans={trans}
                now={now}
              />
            ))}
          </tbody>
        </table>
      )}
      {model.notebooks.length > 0 && runs.length === 0 && (
        <p className={cls('muted empty')}>
          {!model.loaded
            ? trans.__('Loading runs…')
            : model.runs.length
              ? trans.__('No run matches these filters.')
              : trans.__('No runs yet.')}
        </p>
      )}
      {selected && (
        <RunPane
          run={selected}
          model={model}
          connection={connectionLabel(selected.link.connection)}
          actions={actions}
          trans={trans}
          now={now}
        />
      )}
    </div>
  );
}

function FilterSelect(props: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <label className={cls('filter')}>
      <span>{props.label}</span>
      <select
        className="jp-mod-styled"
        aria-label={props.label}
        value={props.value}
        onChange={event => props.onChange(event.target.value)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

function RunRow(props: {
  run: IOverviewRun;
  model: OverviewModel;
  selected: boolean;
  connection: string;
  actions: IRunsViewActions;
  trans: TranslationBundle;
  now: number;
}): JSX.Element {
  const { run, model, selected, connection, actions, trans, now } = props;
  const { execution } = run;
  const name = model.label(run.link);
  const started = execution.startedAt ?? execution.queuedAt;
  return (
    <tr
      className={selected ? 'jp-mod-selected' : undefined}
      data-run-key={run.key}
      data-status={execution.status}
    >
      <td className={cls('cell')}>
        <StatusBadge status={runState(execution)} trans={trans} />
      </td>
      <td className={cls('cell')}>
        <button
          type="button"
          className={cls('linkButton')}
          aria-expanded={selected}
          title={trans.__('Show the details of this run')}
          onClick={() => model.select(selected ? null : run.key)}
        >
          {name}
        </button>
      </td>
      <td className={cls('cell')}>{connection}</td>
      <td className={cls('cell')}>{sourceLabel(execution, trans) || '—'}</td>
      <td className={cls('cell')} title={formatTimestamp(started)}>
        {formatTime(started, now) || '—'}
      </td>
      <td className={cls('cell')}>{runDuration(execution, now) || '—'}</td>
      <td className={cls('cell')}>
        {model.canCancel(run) && (
          <IconButton
            icon={stopIcon}
            label={trans.__('Cancel run of %1', name)}
            disabled={model.isBusy('cancel')}
            onClick={() => actions.cancel(run)}
          />
        )}
      </td>
    </tr>
  );
}

/** The run picked: times, errors, outputs, its log. */
function RunPane(props: {
  run: IOverviewRun;
  model: OverviewModel;
  connection: string;
  actions: IRunsViewActions;
  trans: TranslationBundle;
  now: number;
}): JSX.Element {
  const { run, model, connection, actions, trans, now } = props;
  const { execution } = run;
  const outputs = execution.outputs ?? [];
  const log = model.log?.key === run.key ? model.log : null;
  const hasLog = outputs.some(o => o.name === 'result.log');
  return (
    <section
      className={cls('runPane')}
      aria-label={trans.__('Run details')}
      data-run-key={run.key}
    >
      <RunHeader
        execution={execution}
        trans={trans}
        onClose={() => model.select(null)}
      >
        <strong>{model.label(run.link)}</strong>
        <span className={cls('muted')}>{connection}</span>
      </RunHeader>
      <RunTimes execution={execution} trans={trans} now={now}>
        <dt>{trans.__('Local notebook')}</dt>
        <dd>{run.link.path}</dd>
      </RunTimes>
      <RanWith execution={execution} trans={trans} />
      <RunErrors execution={execution} trans={trans} heading="h3" />
      <div>
        <h3>{trans.__('Outputs')}</h3>
        {outputs.length === 0 ? (
          <p className={cls('muted')}>{noOutputs(execution, trans)}</p>
        ) : (
          <ul className={cls('files')}>
            {outputs.map(output => (
              <RunFile key={output.name} file={output} />
            ))}
          </ul>
        )}
      </div>
      <div className={cls('row')}>
        <PanelButton onClick={() => actions.openNotebook(run)}>
          {trans.__('Open notebook')}
        </PanelButton>
        {hasLog && (
          <PanelButton
            disabled={model.isBusy('log')}
            onClick={() => void model.loadLog(run)}
          >
            {log ? trans.__('Reload log') : trans.__('Show log')}
          </PanelButton>
        )}
        {model.canCancel(run) && (
          <PanelButton
            disabled={model.isBusy('cancel')}
            onClick={() => actions.cancel(run)}
          >
            {trans.__('Cancel run')}
          </PanelButton>
        )}
      </div>
      {log && <LogText text={log.text} trans={trans} />}
      <ErrorMessage error={model.actionError} trans={trans} />
    </section>
  );
}
