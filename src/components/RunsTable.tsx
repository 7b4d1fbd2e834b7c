import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon, refreshIcon, stopIcon } from '@jupyterlab/ui-components';
import React from 'react';

import {
  formatSize,
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
import { ErrorMessage, IconButton, PanelButton, StatusBadge } from './common';

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
    <div className="jp-NotebookRemote-runsView">
      <div className="jp-NotebookRemote-titleBar">
        <h2 className="jp-NotebookRemote-title">{trans.__('Remote runs')}</h2>
        <IconButton
          icon={refreshIcon}
          label={trans.__('Refresh runs')}
          title={trans.__('Check the runs of every notebook now')}
          onClick={actions.refresh}
        />
      </div>
      <div
        className="jp-NotebookRemote-filters"
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
        <div key={linkKey(link)} className="jp-NotebookRemote-viewError">
          <span className="jp-NotebookRemote-muted">
            {trans.__('Runs of %1 could not be read:', model.label(link))}
          </span>
          <ErrorMessage error={error} trans={trans} />
        </div>
      ))}
      {model.notebooks.length === 0 ? (
        <p className="jp-NotebookRemote-muted jp-NotebookRemote-empty">
          {trans.__(
            'No notebook of this workspace is linked yet. Open a notebook and link it in the Remote Notebooks panel, or right-click a notebook in the file browser.'
          )}
        </p>
      ) : (
        <table className="jp-NotebookRemote-runsTable">
          <caption className="jp-NotebookRemote-srOnly">
            {trans.__('Runs of the notebooks of this workspace, newest first')}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="jp-NotebookRemote-cell">
                {trans.__('Status')}
              </th>
              <th scope="col" className="jp-NotebookRemote-cell">
                {trans.__('Notebook')}
              </th>
              <th scope="col" className="jp-NotebookRemote-cell">
                {trans.__('Connection')}
              </th>
              <th scope="col" className="jp-NotebookRemote-cell">
                {trans.__('Source')}
              </th>
              <th scope="col" className="jp-NotebookRemote-cell">
                {trans.__('Started')}
              </th>
              <th scope="col" className="jp-NotebookRemote-cell">
                {trans.__('Duration')}
              </th>
              <th scope="col" className="jp-NotebookRemote-cell">
                <span className="jp-NotebookRemote-srOnly">
                  {trans.__('Actions')}
                </span>
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
        <p className="jp-NotebookRemote-muted jp-NotebookRemote-empty">
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
    <label className="jp-NotebookRemote-filter">
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
      <td className="jp-NotebookRemote-cell">
        <StatusBadge status={runState(execution)} trans={trans} />
      </td>
      <td className="jp-NotebookRemote-cell">
        <button
          type="button"
          className="jp-NotebookRemote-linkButton"
          aria-expanded={selected}
          title={trans.__('Show the details of this run')}
          onClick={() => model.select(selected ? null : run.key)}
        >
          {name}
        </button>
      </td>
      <td className="jp-NotebookRemote-cell">{connection}</td>
      <td className="jp-NotebookRemote-cell">
        {sourceLabel(execution, trans) || '—'}
      </td>
      <td className="jp-NotebookRemote-cell" title={formatTimestamp(started)}>
        {formatTime(started, now) || '—'}
      </td>
      <td className="jp-NotebookRemote-cell">
        {runDuration(execution, now) || '—'}
      </td>
      <td className="jp-NotebookRemote-cell">
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
  const errors = execution.errors ?? [];
  const outputs = execution.outputs ?? [];
  const log = model.log?.key === run.key ? model.log : null;
  const hasLog = outputs.some(o => o.name === 'result.log');
  const times: [string, string | null | undefined][] = [
    [trans.__('Queued'), execution.queuedAt],
    [trans.__('Started'), execution.startedAt],
    [trans.__('Finished'), execution.finishedAt]
  ];
  return (
    <section
      className="jp-NotebookRemote-runPane"
      aria-label={trans.__('Run details')}
      data-run-key={run.key}
    >
      <div className="jp-NotebookRemote-row">
        <StatusBadge status={runState(execution)} trans={trans} />
        <strong>{model.label(run.link)}</strong>
        <span className="jp-NotebookRemote-muted">{connection}</span>
        <code
          className="jp-NotebookRemote-muted jp-NotebookRemote-ellipsis jp-NotebookRemote-grow"
          title={trans.__('Execution id')}
        >
          {execution.id}
        </code>
        <IconButton
          icon={closeIcon}
          label={trans.__('Close details')}
          onClick={() => model.select(null)}
        />
      </div>
      <dl className="jp-NotebookRemote-times">
        <dt>{trans.__('Local notebook')}</dt>
        <dd>{run.link.path}</dd>
        {times.map(([label, value]) => (
          <React.Fragment key={label}>
            <dt>{label}</dt>
            <dd>{formatTimestamp(value) || '—'}</dd>
          </React.Fragment>
        ))}
        <dt>{trans.__('Ran for')}</dt>
        <dd>{runDuration(execution, now) || '—'}</dd>
      </dl>
      {errors.length > 0 && (
        <div className="jp-NotebookRemote-runErrors">
          <h3>{trans.__('Errors')}</h3>
          <ul>
            {errors.map((error, index) => (
              <li key={index}>
                <strong>{error.name}</strong>: {error.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div>
        <h3>{trans.__('Outputs')}</h3>
        {outputs.length === 0 ? (
          <p className="jp-NotebookRemote-muted">
            {execution.finishedAt
              ? trans.__('This run left no output files.')
              : trans.__('Outputs appear when the run ends.')}
          </p>
        ) : (
          <ul className="jp-NotebookRemote-files">
            {outputs.map(output => (
              <li key={output.name}>
                {output.url ? (
                  <a
                    href={output.url}
                    target="_blank"
                    rel="noopener noreferrer"
                  >
                    {output.name}
                  </a>
                ) : (
                  <span>{output.name}</span>
                )}
                <span className="jp-NotebookRemote-muted">
                  {formatSize(output.size)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="jp-NotebookRemote-row">
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
      {log && (
        <pre
          className="jp-NotebookRemote-logText"
          tabIndex={0}
          aria-label={trans.__('result.log')}
        >
          {log.text || trans.__('(empty)')}
        </pre>
      )}
      <ErrorMessage error={model.actionError} trans={trans} />
    </section>
  );
}
