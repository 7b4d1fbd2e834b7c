/** @jsx h */
/** @jsxFrag Fragment */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  deleteIcon,
  editIcon,
  pauseIcon,
  runIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import { formatTimestamp } from '../format';
import { describeSchedule, scheduleLimits } from '../schedule';
import { formatRunTime } from '../timeZones';
import { CommandIDs } from '../tokens';
import { IExecution, ISchedule } from '../types';
import { IPanelActions } from './actions';
import {
  ButtonIcon,
  cls,
  ErrorMessage,
  ISectionProps,
  PanelButton,
  Section,
  StatusBadge
} from './common';
import { confirmRemoveSchedule } from './ScheduleDialog';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/**
 * The linked notebook's schedule: in words, its next runs and its last
 * run; pause, resume, run now, edit and remove. Where the connection cannot
 * schedule, why (for Losant: how Losant schedules runs instead).
 */
export function ScheduleSection(
  props: ISectionProps & { actions: IPanelActions; now: number }
): JSX.Element | null {
  const { model, actions, trans, now } = props;
  if (!model.link || !model.linkConnection) {
    return null;
  }
  const why = model.whyNot('schedule');
  const schedule = model.schedule;
  const busy = model.isBusy('schedule');
  const canEdit = actions.isEnabled(CommandIDs.schedule);

  let content: React.ReactNode;
  if (why) {
    content = <p className={cls('muted scheduleWhy')}>{why}</p>;
  } else if (!model.scheduleLoaded) {
    content = !model.error('schedule') && (
      <p className={cls('muted')}>{trans.__('Loading…')}</p>
    );
  } else if (!schedule) {
    content = (
      <>
        <p className={cls('muted empty')}>
          {trans.__(
            'No schedule. A schedule runs what was last pushed on its own, e.g. every Monday at 06:50.'
          )}
        </p>
        <div className={cls('toolbar')}>
          <PanelButton
            className={cls('action')}
            title={trans.__('Run this notebook on a schedule')}
            disabled={!canEdit}
            onClick={() => actions.execute(CommandIDs.schedule)}
          >
            <span>{trans.__('Schedule…')}</span>
          </PanelButton>
        </div>
      </>
    );
  } else {
    content = (
      <ScheduleView
        schedule={schedule}
        last={lastScheduledRun(schedule, model.executions)}
        busy={busy}
        canEdit={canEdit}
        canRun={actions.isEnabled(CommandIDs.run)}
        canPause={scheduleLimits(model.linkConnection.kind).canPause}
        trans={trans}
        now={now}
        onEdit={() => actions.execute(CommandIDs.schedule)}
        onRun={() => actions.execute(CommandIDs.run)}
        onActive={active => void model.setScheduleActive(active)}
        onShowRun={id => model.selectExecution(id)}
        onRemove={async () => {
          if (await confirmRemoveSchedule(trans)) {
            await model.removeSchedule();
          }
        }}
      />
    );
  }
  return (
    <Section title={trans.__('Schedule')} className={cls('scheduleSection')}>
      {content}
      <ErrorMessage error={model.shownError('schedule')} trans={trans} />
    </Section>
  );
}

/** The run a schedule started last: by its id, else the newest such run. */
export function lastScheduledRun(
  schedule: ISchedule,
  executions: readonly IExecution[]
): IExecution | null {
  if (schedule.lastExecutionId) {
    const run = executions.find(e => e.id === schedule.lastExecutionId);
    if (run) {
      return run;
    }
  }
  return executions.find(e => e.source?.type === 'schedule') ?? null;
}

function ScheduleView(props: {
  schedule: ISchedule;
  last: IExecution | null;
  busy: boolean;
  canEdit: boolean;
  canRun: boolean;
  /** Whether the kind can pause (4pointx cannot: remove instead). */
  canPause: boolean;
  trans: TranslationBundle;
  now: number;
  onEdit: () => void;
  onRun: () => void;
  onActive: (active: boolean) => void;
  onShowRun: (id: string) => void;
  onRemove: () => void;
}): JSX.Element {
  const { schedule, last, busy, trans } = props;
  const nextRuns = schedule.nextRuns?.length
    ? schedule.nextRuns
    : schedule.nextRunAt && schedule.active
      ? [schedule.nextRunAt]
      : [];
  const lastAt = last?.queuedAt ?? schedule.lastRunAt;
  return (
    <div
      className={cls('schedule')}
      data-active={schedule.active ? 'true' : 'false'}
    >
      <p className={cls('row')}>
        <span
          className={cls('scheduleState')}
          data-active={schedule.active ? 'true' : 'false'}
        >
          {schedule.active ? trans.__('Active') : trans.__('Paused')}
        </span>
        <strong
          className={cls('grow scheduleWords')}
          title={schedule.description ?? schedule.cron}
        >
          {describeSchedule(schedule, trans)}
        </strong>
      </p>
      <div className={cls('scheduleNext')}>
        <span className={cls('scheduleLabel')}>{trans.__('Next runs')}</span>
        {nextRuns.length > 0 ? (
          <ol aria-label={trans.__('Next runs')}>
            {nextRuns.map(run => (
              <li key={run} title={formatTimestamp(run)}>
                <time dateTime={run}>
                  {formatRunTime(run, schedule.timezone)}
                </time>
              </li>
            ))}
          </ol>
        ) : (
          <p className={cls('muted')}>
            {schedule.active
              ? trans.__('None: the end date has passed.')
              : trans.__('None while paused.')}
          </p>
        )}
      </div>
      <div className={cls('scheduleLast')}>
        <span className={cls('scheduleLabel')}>
          {trans.__('Last scheduled run')}
        </span>
        {lastAt ? (
          <span className={cls('row')}>
            {last ? (
              <button
                type="button"
                className={cls('linkButton')}
                title={trans.__('Show this run')}
                onClick={() => props.onShowRun(last.id)}
              >
                {formatRunTime(lastAt, schedule.timezone)}
              </button>
            ) : (
              <span>{formatRunTime(lastAt, schedule.timezone)}</span>
            )}
            {last && <StatusBadge status={last.status} trans={trans} />}
            {typeof schedule.runCount === 'number' && (
              <span className={cls('muted')}>
                {trans._n('%1 run so far', '%1 runs so far', schedule.runCount)}
              </span>
            )}
          </span>
        ) : (
          <span className={cls('muted')}>{trans.__('None yet')}</span>
        )}
      </div>
      <div
        className={cls('toolbar')}
        role="toolbar"
        aria-label={trans.__('Schedule actions')}
      >
        {props.canPause && (
          <PanelButton
            className={cls('action')}
            label={schedule.active ? trans.__('Pause') : trans.__('Resume')}
            title={
              schedule.active
                ? trans.__(
                    'Pause the schedule: no runs start until you resume it'
                  )
                : trans.__('Resume the schedule')
            }
            disabled={busy || !props.canEdit}
            onClick={() => props.onActive(!schedule.active)}
          >
            <ButtonIcon icon={schedule.active ? pauseIcon : runIcon} />
            <span>
              {schedule.active ? trans.__('Pause') : trans.__('Resume')}
            </span>
          </PanelButton>
        )}
        <PanelButton
          className={cls('action')}
          label={trans.__('Run now')}
          title={trans.__(
            'Run what was last pushed now, apart from the schedule'
          )}
          disabled={!props.canRun}
          onClick={props.onRun}
        >
          <ButtonIcon icon={runIcon} />
          <span>{trans.__('Run now')}</span>
        </PanelButton>
        <PanelButton
          className={cls('action')}
          label={trans.__('Edit schedule')}
          title={trans.__('Change the schedule')}
          disabled={busy || !props.canEdit}
          onClick={props.onEdit}
        >
          <ButtonIcon icon={editIcon} />
          <span>{trans.__('Edit…')}</span>
        </PanelButton>
        <PanelButton
          className={cls('action')}
          label={trans.__('Remove schedule')}
          title={trans.__('Remove the schedule')}
          disabled={busy || !props.canEdit}
          onClick={props.onRemove}
        >
          <ButtonIcon icon={deleteIcon} />
          <span>{trans.__('Remove')}</span>
        </PanelButton>
      </div>
    </div>
  );
}
