/** @jsx h */
/** @jsxFrag Fragment */
import { closeIcon } from '@jupyterlab/ui-components';
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import {
  formatMinutes,
  formatSize,
  formatTimestamp,
  runDuration,
  runState
} from '../format';
import { IExecution, IExecutionInput } from '../types';
import { cls, IconButton, StatusBadge } from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/**
 * The parts of a run's details that the panel (RunDetails.tsx) and the
 * Remote runs view (RunsTable.tsx) show alike.
 */

/** The first line: status, what else the caller puts there, the id, close. */
export function RunHeader(props: {
  execution: IExecution;
  trans: TranslationBundle;
  onClose: () => void;
  children?: React.ReactNode;
}): JSX.Element {
  const { execution, trans } = props;
  return (
    <div className={cls('row')}>
      <StatusBadge status={runState(execution)} trans={trans} />
      {props.children}
      <code
        className={cls('muted ellipsis grow')}
        title={trans.__('Execution id')}
      >
        {execution.id}
      </code>
      <IconButton
        icon={closeIcon}
        label={trans.__('Close details')}
        onClick={props.onClose}
      />
    </div>
  );
}

/** When the run was queued, started and finished, and how long it ran. */
export function RunTimes(props: {
  execution: IExecution;
  trans: TranslationBundle;
  now: number;
  children?: React.ReactNode;
}): JSX.Element {
  const { execution, trans, now } = props;
  const duration = runDuration(execution, now);
  const times: [string, string | null | undefined][] = [
    [trans.__('Queued'), execution.queuedAt],
    [trans.__('Started'), execution.startedAt],
    [trans.__('Finished'), execution.finishedAt]
  ];
  return (
    <dl className={cls('times')}>
      {props.children}
      {times.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{formatTimestamp(value) || '—'}</dd>
        </Fragment>
      ))}
      {duration && (
        <>
          <dt>{trans.__('Ran for')}</dt>
          <dd>{duration}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * What a run ran with: its query time, context and run-minute limit, where
 * the kind says them; nothing when it says none.
 */
export function RanWith(props: {
  execution: IExecution;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { execution: run, trans } = props;
  const context = run.templateContext;
  const rows: [string, React.ReactNode][] = [];
  if (run.relativeTo) {
    rows.push([trans.__('Query time'), formatTimestamp(run.relativeTo)]);
  }
  if (run.maxAllowedRunMinutes) {
    rows.push([
      trans.__('Run limit'),
      formatMinutes(run.maxAllowedRunMinutes, trans)
    ]);
  }
  if (context && Object.keys(context).length) {
    rows.push([
      trans.__('Context'),
      <pre className={cls('logText context')}>
        {JSON.stringify(context, null, 2)}
      </pre>
    ]);
  }
  if (!rows.length) {
    return null;
  }
  return (
    <dl className={cls('times')}>
      {rows.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** The run's errors, under a heading of the caller's level. */
export function RunErrors(props: {
  execution: IExecution;
  trans: TranslationBundle;
  heading: 'h3' | 'h4';
}): JSX.Element | null {
  const errors = props.execution.errors ?? [];
  const Heading = props.heading;
  return errors.length === 0 ? null : (
    <div className={cls('runErrors')}>
      <Heading>{props.trans.__('Errors')}</Heading>
      <ul>
        {errors.map((error, index) => (
          <li key={index}>
            <strong>{error.name}</strong>: {error.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One file of a run: its link (in a new tab) when it has one, and its size. */
export function RunFile(props: {
  file: IExecutionInput;
  children?: React.ReactNode;
  onOpen?: (event: React.MouseEvent) => void;
  title?: string;
}): JSX.Element {
  const { file } = props;
  return (
    <li>
      {file.url ? (
        <a
          href={file.url}
          target="_blank"
          rel="noopener noreferrer"
          title={props.title}
          onClick={props.onOpen}
        >
          {file.name}
        </a>
      ) : (
        <span>{file.name}</span>
      )}
      <span className={cls('muted')}>{formatSize(file.size)}</span>
      {props.children}
    </li>
  );
}

/** What an output list says when there is nothing in it. */
export function noOutputs(
  execution: IExecution,
  trans: TranslationBundle
): string {
  return execution.filesRemovedAt
    ? trans.__(
        'Its files were removed on %1 by the retention policy; its history is kept.',
        formatTimestamp(execution.filesRemovedAt)
      )
    : execution.finishedAt
      ? trans.__('This run left no output files.')
      : trans.__('Outputs appear when the run ends.');
}

/** A run's result.log as read. */
export function LogText(props: {
  text: string;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <pre
      className={cls('logText')}
      tabIndex={0}
      aria-label={props.trans.__('result.log')}
    >
      {props.text || props.trans.__('(empty)')}
    </pre>
  );
}
