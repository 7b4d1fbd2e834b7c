/** @jsx h */
/** @jsxFrag Fragment */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { formatMinutes, formatSize, formatTimestamp } from '../format';
import { IExecution, IUsage } from '../types';
import { cls, ErrorMessage, ISectionProps, Section } from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

const CHART_HEIGHT = 64;
/** A range without any minute gets a flat strip, not an empty box. */
const EMPTY_CHART_HEIGHT = 12;
const BAR_GAP = 1;

/** Totals of a usage range. */
function usageTotals(usage: IUsage): {
  minutes: number;
  completed: number;
  errored: number;
  canceled: number;
  timeout: number;
} {
  const totals = { completed: 0, errored: 0, canceled: 0, timeout: 0 };
  let minutes = 0;
  for (const day of usage.days) {
    minutes += day.minutes;
    totals.completed += day.completed;
    totals.errored += day.errored;
    totals.canceled += day.canceled;
    totals.timeout += day.timeout;
  }
  return {
    minutes:
      typeof usage.totalMinutes === 'number' ? usage.totalMinutes : minutes,
    ...totals
  };
}

/** Minutes per day as bars, with totals and the outcome breakdown as text. */
export function UsageChart(props: {
  usage: IUsage;
  days: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { usage, days, trans } = props;
  const totals = usageTotals(usage);
  const peak = Math.max(1, ...usage.days.map(d => d.minutes));
  const chartHeight = usage.days.some(d => d.minutes > 0)
    ? CHART_HEIGHT
    : EMPTY_CHART_HEIGHT;
  const count = Math.max(1, usage.days.length);
  const width = count * 8;
  const barWidth = width / count - BAR_GAP;
  const label = trans.__(
    'Minutes per day over the last %1 days, %2 in all',
    days,
    formatMinutes(totals.minutes, trans)
  );
  const first = usage.days[0]?.date;
  const last = usage.days[usage.days.length - 1]?.date;
  const used = usage.days.filter(d => d.minutes > 0);

  return (
    <div className={cls('usage')}>
      <svg
        className={cls('chart')}
        role="img"
        aria-label={label}
        viewBox={`0 0 ${width} ${chartHeight}`}
        preserveAspectRatio="none"
        width="100%"
        height={chartHeight}
      >
        <line
          className={cls('chartAxis')}
          x1={0}
          x2={width}
          y1={chartHeight - 0.5}
          y2={chartHeight - 0.5}
        />
        {usage.days.map((day, index) => {
          const height =
            day.minutes > 0
              ? Math.max(2, (day.minutes / peak) * (chartHeight - 4))
              : 0;
          const failed = day.errored + day.timeout > 0;
          return (
            <rect
              key={day.date}
              className={cls('bar') + (failed ? ' jp-mod-failed' : '')}
              x={index * (barWidth + BAR_GAP)}
              y={chartHeight - 1 - height}
              width={barWidth}
              height={height}
            >
              <title>
                {`${day.date}: ${formatMinutes(day.minutes, trans)}`}
              </title>
            </rect>
          );
        })}
      </svg>
      {first && last && (
        <div className={cls('chartRange muted')}>
          <span>{first}</span>
          <span>{last}</span>
        </div>
      )}
      <p className={cls('usageSummary')}>
        <strong className={cls('usageTotal')}>
          {formatMinutes(totals.minutes, trans)}
        </strong>{' '}
        {trans.__('in the last %1 days', days)}
      </p>
      <ul className={cls('usageCounts')}>
        <li data-status="completed">
          {trans.__('%1 completed', totals.completed)}
        </li>
        <li data-status="errored">{trans.__('%1 errored', totals.errored)}</li>
        <li data-status="canceled">
          {trans.__('%1 canceled', totals.canceled)}
        </li>
        <li data-status="timeout">
          {trans.__('%1 timed out', totals.timeout)}
        </li>
      </ul>
      {typeof usage.storeBytes === 'number' && (
        <p className={cls('muted storeSize')}>
          {trans.__(
            'Runs and history use %1 on this machine.',
            formatSize(usage.storeBytes)
          )}
        </p>
      )}
      {used.length > 0 && (
        <details className={cls('usageTable')}>
          <summary>{trans.__('Per day')}</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{trans.__('Day')}</th>
                <th scope="col">{trans.__('Minutes')}</th>
                <th scope="col">{trans.__('Runs')}</th>
              </tr>
            </thead>
            <tbody>
              {used.map(day => (
                <tr key={day.date}>
                  <td>{day.date}</td>
                  <td>{Math.round(day.minutes * 100) / 100}</td>
                  <td>
                    {day.completed + day.errored + day.canceled + day.timeout}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}

/**
 * The runs of the range that report resources (Civis), oldest first: a pair
 * of bars each, its peak memory and CPU as a share of what it asked for.
 */
export function PeakChart(props: {
  runs: readonly IExecution[];
  since: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { trans } = props;
  const runs = props.runs
    .filter(
      e =>
        e.resources?.maxMemoryMb &&
        (e.queuedAt ?? '') >= props.since.slice(0, 10)
    )
    .reverse();
  if (!runs.length) {
    return null;
  }
  return (
    <svg
      className={cls('chart')}
      role="img"
      aria-label={trans.__(
        'Peak memory and CPU of each run, against what it asked for'
      )}
      viewBox={`0 0 ${runs.length * 8} ${CHART_HEIGHT}`}
      preserveAspectRatio="none"
      width="100%"
      height={CHART_HEIGHT}
    >
      {runs.map(({ id, queuedAt, resources: r }, index) =>
        [
          [trans.__('memory'), r!.maxMemoryMb, r!.memoryMb],
          [trans.__('CPU'), r!.maxCpuMillicores, r!.cpuMillicores]
        ].map(([what, used, asked], bar) => {
          const share = Math.min(1, Number(used) / Number(asked)) || 0;
          return (
            <rect
              key={id + bar}
              className={cls('bar') + (bar ? ' jp-mod-cpu' : '')}
              x={index * 8 + bar * 3.5}
              y={CHART_HEIGHT * (1 - share)}
              width={3}
              height={CHART_HEIGHT * share}
            >
              <title>
                {`${formatTimestamp(queuedAt)}: ${what} ${Math.round(share * 100)}%`}
              </title>
            </rect>
          );
        })
      )}
    </svg>
  );
}

/** The usage section of the panel. */
export function UsageSection(props: ISectionProps): JSX.Element | null {
  const { model, trans } = props;
  if (!model.link) {
    return null;
  }
  const why = model.whyNot('usage');
  return (
    <Section title={trans.__('Usage')} className={cls('usageSection')}>
      {why ? (
        <p className={cls('muted')}>{why}</p>
      ) : model.usage ? (
        <>
          <UsageChart
            usage={model.usage}
            days={model.settings.usageDays}
            trans={trans}
          />
          <PeakChart
            runs={model.executions}
            since={model.usage.start}
            trans={trans}
          />
        </>
      ) : (
        !model.error('usage') && (
          <p className={cls('muted')}>{trans.__('Loading usage…')}</p>
        )
      )}
      <ErrorMessage error={model.shownError('usage')} trans={trans} />
    </Section>
  );
}
