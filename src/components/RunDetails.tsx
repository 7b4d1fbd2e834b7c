/** @jsx h */
import React from 'react';

import { IExecution, IExecutionOutput } from '../types';
import { IPanelActions } from './actions';
import { cls, ErrorMessage, ISectionProps, PanelButton } from './common';
import { RunOptionsDetails } from './RunOptionsDialog';
import {
  LogText,
  noOutputs,
  RunErrors,
  RunFile,
  RunHeader,
  RunTimes
} from './RunParts';
import { RunRemote } from './RunRemote';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

/** Times, errors, inputs and outputs of one run. */
export function RunDetails(
  props: ISectionProps & {
    execution: IExecution;
    actions: IPanelActions;
    now: number;
  }
): JSX.Element {
  const { model, execution, actions, trans, now } = props;
  const inputs = execution.inputs ?? [];
  const outputs = execution.outputs ?? [];
  const log = model.log?.executionId === execution.id ? model.log : null;
  const hasLog = outputs.some(o => o.name === 'result.log');

  return (
    <div
      role="group"
      className={cls('runDetails')}
      aria-label={trans.__('Run details')}
      data-execution-id={execution.id}
    >
      <RunHeader
        execution={execution}
        trans={trans}
        onClose={() => model.selectExecution(null)}
      />
      <RunTimes execution={execution} trans={trans} now={now} />
      <RunOptionsDetails {...props} />
      <RunRemote model={model} execution={execution} trans={trans} />
      <RunErrors execution={execution} trans={trans} heading="h4" />
      {inputs.length > 0 && (
        <div>
          <h4>{trans.__('Inputs')}</h4>
          <ul className={cls('files')}>
            {inputs.map(input => (
              <RunFile key={input.name} file={input} />
            ))}
          </ul>
        </div>
      )}
      <div>
        <h4>{trans.__('Outputs')}</h4>
        {outputs.length === 0 ? (
          <p className={cls('muted')}>{noOutputs(execution, trans)}</p>
        ) : (
          <ul className={cls('files')}>
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
        <div className={cls('log')}>
          <PanelButton
            minimal
            disabled={model.isBusy('log')}
            onClick={() => void model.loadLog(execution.id)}
          >
            {log ? trans.__('Reload log') : trans.__('Show log')}
          </PanelButton>
          {log && <LogText text={log.text} trans={trans} />}
        </div>
      )}
      <ErrorMessage error={model.shownError('details')} trans={trans} />
    </div>
  );
}

/** An output: opened through the panel's actions; a notebook also in JupyterLab. */
function OutputItem(
  props: ISectionProps & {
    output: IExecutionOutput;
    execution: IExecution;
    actions: IPanelActions;
  }
): JSX.Element {
  const { output, execution, actions, model, trans } = props;
  return (
    <RunFile
      file={output}
      title={output.contentType ?? undefined}
      onOpen={event => {
        event.preventDefault();
        actions.openOutput(execution, output);
      }}
    >
      {output.name.endsWith('.ipynb') && (
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
    </RunFile>
  );
}
