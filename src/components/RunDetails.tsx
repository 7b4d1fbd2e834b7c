import { closeIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { formatSize, formatTimestamp, runDuration, runState } from '../format';
import { IExecution, IExecutionOutput } from '../types';
import { IPanelActions } from './actions';
import { RunOptionsDetails } from './RunOptionsDialog';
import { RunRemote } from './RunRemote';
import {
  ErrorMessage,
  IconButton,
  ISectionProps,
  PanelButton,
  StatusBadge
} from './common';

/** Times, errors, inputs and outputs of one run. */
export function RunDetails(
  props: ISectionProps & {
    execution: IExecution;
    actions: IPanelActions;
    now: number;
  }
): JSX.Element {
  const { model, execution, actions, trans, now } = props;
  const errors = execution.errors ?? [];
  const inputs = execution.inputs ?? [];
  const outputs = execution.outputs ?? [];
  const log = model.log?.executionId === execution.id ? model.log : null;
  const hasLog = outputs.some(o => o.name === 'result.log');
  const times: [string, string | null | undefined][] = [
    [trans.__('Queued'), execution.queuedAt],
    [trans.__('Started'), execution.startedAt],
    [trans.__('Finished'), execution.finishedAt]
  ];
  const duration = runDuration(execution, now);

  return (
    <div
      role="group"
      className="jp-NotebookRemote-runDetails"
      aria-label={trans.__('Run details')}
      data-execution-id={execution.id}
    >
      <div className="jp-NotebookRemote-row">
        <StatusBadge status={runState(execution)} trans={trans} />
        <code
          className="jp-NotebookRemote-muted jp-NotebookRemote-ellipsis jp-NotebookRemote-grow"
          title={trans.__('Execution id')}
        >
          {execution.id}
        </code>
        <IconButton
          icon={closeIcon}
          label={trans.__('Close details')}
          onClick={() => model.selectExecution(null)}
        />
      </div>
      <dl className="jp-NotebookRemote-times">
        {times.map(([label, value]) => (
          <React.Fragment key={label}>
            <dt>{label}</dt>
            <dd>{formatTimestamp(value) || '—'}</dd>
          </React.Fragment>
        ))}
        {duration && (
          <>
            <dt>{trans.__('Ran for')}</dt>
            <dd>{duration}</dd>
          </>
        )}
      </dl>
      <RunOptionsDetails {...props} />
      <RunRemote model={model} execution={execution} trans={trans} />
      {errors.length > 0 && (
        <div className="jp-NotebookRemote-runErrors">
          <h4>{trans.__('Errors')}</h4>
          <ul>
            {errors.map((error, index) => (
              <li key={index}>
                <strong>{error.name}</strong>: {error.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {inputs.length > 0 && (
        <div>
          <h4>{trans.__('Inputs')}</h4>
          <ul className="jp-NotebookRemote-files">
            {inputs.map(input => (
              <li key={input.name}>
                {input.url ? (
                  <a href={input.url} target="_blank" rel="noopener noreferrer">
                    {input.name}
                  </a>
                ) : (
                  <span>{input.name}</span>
                )}
                <span className="jp-NotebookRemote-muted">
                  {formatSize(input.size)}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div>
        <h4>{trans.__('Outputs')}</h4>
        {outputs.length === 0 ? (
          <p className="jp-NotebookRemote-muted">
            {execution.filesRemovedAt
              ? trans.__(
                  'Its files were removed on %1 by the retention policy; its history is kept.',
                  formatTimestamp(execution.filesRemovedAt)
                )
              : execution.finishedAt
                ? trans.__('This run left no output files.')
                : trans.__('Outputs appear when the run ends.')}
          </p>
        ) : (
          <ul className="jp-NotebookRemote-files">
            {outputs.map(output => (
              <OutputItem
                key={output.name}
                output={output}
                execution={execution}
                actions={actions}
                model={model}
                trans={trans}
              />
            ))}
          </ul>
        )}
      </div>
      {hasLog && (
        <div className="jp-NotebookRemote-log">
          <PanelButton
            minimal
            disabled={model.isBusy('log')}
            onClick={() => void model.loadLog(execution.id)}
          >
            {log ? trans.__('Reload log') : trans.__('Show log')}
          </PanelButton>
          {log && (
            <pre
              className="jp-NotebookRemote-logText"
              tabIndex={0}
              aria-label={trans.__('result.log')}
            >
              {log.text || trans.__('(empty)')}
            </pre>
          )}
        </div>
      )}
      <ErrorMessage error={model.shownError('details')} trans={trans} />
    </div>
  );
}

function OutputItem(
  props: ISectionProps & {
    output: IExecutionOutput;
    execution: IExecution;
    actions: IPanelActions;
  }
): JSX.Element {
  const { output, execution, actions, model, trans } = props;
  const isNotebook = output.name.endsWith('.ipynb');
  return (
    <li>
      {output.url ? (
        <a
          href={output.url}
          target="_blank"
          rel="noopener noreferrer"
          title={output.contentType ?? undefined}
          onClick={event => {
            event.preventDefault();
            actions.openOutput(execution, output);
          }}
        >
          {output.name}
        </a>
      ) : (
        <span>{output.name}</span>
      )}
      <span className="jp-NotebookRemote-muted">{formatSize(output.size)}</span>
      {isNotebook && (
        <PanelButton
          minimal
          disabled={model.isBusy('open-result')}
          title={trans.__('Save a copy next to the local notebook and open it')}
          onClick={() =>
            void model.openResultNotebook(execution.id, output.name)
          }
        >
          {trans.__('Open in JupyterLab')}
        </PanelButton>
      )}
    </li>
  );
}
