/** @jsx h */
/** @jsxFrag Fragment */
import React from 'react';

import {
  formatDuration,
  formatTime,
  formatTimestamp,
  runDuration,
  runState,
  sourceLabel
} from '../format';
import { IExecution, IExecutionProgress } from '../types';
import {
  cls,
  ErrorMessage,
  ISectionProps,
  PanelButton,
  Section,
  StatusBadge
} from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/** The runs of the linked notebook, newest first; select one for details. */
export function RunsList(
  props: ISectionProps & { now: number; details?: React.ReactNode }
): JSX.Element | null {
  const { model, trans, now } = props;
  if (!model.link) {
    return null;
  }
  const why = model.whyNot('logs');
  const executions = model.executions;
  const selected = model.selectedExecutionId;

  const onKeyDown = (event: React.KeyboardEvent, execution: IExecution) => {
    const index = executions.indexOf(execution);
    let next: IExecution | undefined;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      model.selectExecution(execution.id);
      return;
    } else if (event.key === 'Escape' && selected === execution.id) {
      event.preventDefault();
      model.selectExecution(null);
      return;
    } else if (event.key === 'ArrowDown') {
      next = executions[index + 1];
    } else if (event.key === 'ArrowUp') {
      next = executions[index - 1];
    }
    if (next) {
      event.preventDefault();
      const list = (event.currentTarget as HTMLElement).closest('ul');
      const target = list?.querySelector<HTMLElement>(
        `[data-execution-id="${next.id}"]`
      );
      target?.focus();
    }
  };

  return (
    <Section title={trans.__('Runs')} className={cls('runsSection')}>
      {why ? (
        <>
          <RunTally model={model} trans={trans} now={now} />
          <p className={cls('muted')}>{why}</p>
        </>
      ) : (
        <>
          <ul
            className={cls('runs')}
            aria-label={trans.__('Runs, newest first')}
          >
            {executions.map(execution => {
              const isSelected = execution.id === selected;
              const duration = runDuration(execution, now);
              const source = sourceLabel(execution, trans);
              return (
                // One list item a run: its row (a button) and, when selected,
                // its details, so the list holds list items only.
                <li key={execution.id} className={cls('runItem')}>
                  <div
                    className={
                      cls('run') + (isSelected ? ' jp-mod-selected' : '')
                    }
                    data-execution-id={execution.id}
                    data-status={execution.status}
                    data-source={execution.source?.type ?? undefined}
                    tabIndex={0}
                    role="button"
                    aria-expanded={isSelected}
                    onClick={() => model.selectExecution(execution.id)}
                    onKeyDown={event => onKeyDown(event, execution)}
                  >
                    <StatusBadge status={runState(execution)} trans={trans} />
                    <span
                      className={cls('runTime')}
                      title={trans.__(
                        'Queued %1',
                        formatTimestamp(execution.queuedAt)
                      )}
                    >
                      {formatTime(execution.queuedAt, now)}
                    </span>
                    <span className={cls('runDuration')}>{duration}</span>
                    {execution.source?.type === 'schedule' ? (
                      <span
                        className={cls('runSource scheduledBadge')}
                        title={trans.__('Started by %1', source)}
                      >
                        {trans.__('Scheduled')}
                      </span>
                    ) : (
                      source && (
                        <span
                          className={cls('runSource')}
                          title={trans.__('Started by %1', source)}
                        >
                          {trans.__('by %1', source)}
                        </span>
                      )
                    )}
                    {execution.status === 'inProgress' &&
                      execution.progress && (
                        <RunProgress
                          progress={execution.progress}
                          now={now}
                          trans={trans}
                        />
                      )}
                  </div>
                  {isSelected && props.details}
                </li>
              );
            })}
          </ul>
          {model.runsLoaded && model.mayHaveOlderRuns && (
            <PanelButton minimal onClick={() => model.showOlderRuns()}>
              {trans.__('Show older runs')}
            </PanelButton>
          )}
          {model.runsLoaded &&
            executions.length === 0 &&
            !model.error('runs') && (
              <p className={cls('muted empty')}>
                {trans.__('No runs yet. Push, then Run.')}
              </p>
            )}
          {!model.runsLoaded && !model.error('runs') && (
            <p className={cls('muted empty')}>{trans.__('Loading runs…')}</p>
          )}
        </>
      )}
      <ErrorMessage error={model.shownError('runs')} trans={trans} />
    </Section>
  );
}

/**
 * What a kind without run history says of the notebook's runs (4pointx):
 * how many, and the last one's time.
 */
function RunTally(props: ISectionProps & { now: number }): JSX.Element | null {
  const { model, trans, now } = props;
  const count = model.remoteNotebook?.runCount;
  const last = model.remoteNotebook?.lastRunAt;
  if (typeof count !== 'number' && !last) {
    return null;
  }
  return (
    <div className={cls('runTally')}>
      {typeof count === 'number' &&
        trans._n('Ran %1 time', 'Ran %1 times', count)}
      {last && ` ${trans.__('(last %1)', formatTime(last, now))}`}
    </div>
  );
}

/** Which cell a run in progress is on: a bar of the cells done, and words. */
function RunProgress(props: {
  progress: IExecutionProgress;
  now: number;
  trans: ISectionProps['trans'];
}): JSX.Element {
  const { progress, now, trans } = props;
  const { cell, total } = progress;
  const started = Date.parse(progress.startedAt);
  const running = Number.isNaN(started)
    ? ''
    : formatDuration(Math.max(0, now - started));
  const words = trans.__('Cell %1 of %2', cell, total);
  return (
    <span
      className={cls('runProgress')}
      title={running ? trans.__('%1, running for %2', words, running) : words}
    >
      <progress max={total} value={cell - 1} aria-label={words} />
      <span>{words}</span>
    </span>
  );
}
