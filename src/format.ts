/**
 * Human wording of statuses, sizes, times and durations.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IConnection, IExecution } from './types';

/** The human label of a status (the badge text), or of a kind's own state. */
export function statusLabel(status: string, trans: TranslationBundle): string {
  const labels: { [status: string]: string } = {
    queued: trans.__('Queued'),
    inProgress: trans.__('In progress'),
    completed: trans.__('Completed'),
    errored: trans.__('Errored'),
    timeout: trans.__('Timed out'),
    canceling: trans.__('Canceling'),
    canceled: trans.__('Canceled'),
    sleeping: trans.__('Sleeping')
  };
  return Object.prototype.hasOwnProperty.call(labels, status)
    ? labels[status]
    : status;
}

/** What a run's badge says: the kind's own state where it has one (Civis `sleeping`). */
export function runState(execution: IExecution): string {
  return execution.remoteState || execution.status;
}

/** What a connection's service is called ("Open in Civis"). */
export function serviceName(connection: IConnection): string {
  return (
    { civis: 'Civis' }[connection.kind] ?? (connection.label || connection.id)
  );
}

/** How a run ended, for "Run of X completed" sentences. */
export function statusVerb(status: string, trans: TranslationBundle): string {
  const verbs: { [status: string]: string } = {
    completed: trans.__('completed'),
    errored: trans.__('errored'),
    timeout: trans.__('timed out'),
    canceled: trans.__('was canceled')
  };
  return verbs[status] ?? statusLabel(status, trans).toLowerCase();
}

/** A byte count as "532 B", "12.4 kB", "3.1 MB". */
export function formatSize(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || !isFinite(bytes) || bytes < 0) {
    return '';
  }
  if (bytes < 1000) {
    return `${Math.round(bytes)} B`;
  }
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A duration in milliseconds as "45 s", "3 min 12 s", "1 h 5 min". */
export function formatDuration(ms: number): string {
  if (!isFinite(ms) || ms < 0) {
    return '';
  }
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = seconds % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** How long a run ran (or has been running), or '' before it started. */
export function runDuration(execution: IExecution, now: number): string {
  const started = Date.parse(execution.startedAt ?? '');
  if (isNaN(started)) {
    return '';
  }
  const finished = Date.parse(execution.finishedAt ?? '');
  return formatDuration((isNaN(finished) ? now : finished) - started);
}

/** A time as the user's locale writes it (date only when not today). */
export function formatTime(
  iso: string | null | undefined,
  now: number = Date.now()
): string {
  const time = Date.parse(iso ?? '');
  if (isNaN(time)) {
    return '';
  }
  const date = new Date(time);
  const today = new Date(now);
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit'
      })
    : date.toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit'
      });
}

/** A full timestamp, for tooltips and the details view. */
export function formatTimestamp(iso: string | null | undefined): string {
  const time = Date.parse(iso ?? '');
  if (isNaN(time)) {
    return '';
  }
  const date = new Date(time);
  return date.toLocaleString(undefined, {
    year:
      date.getFullYear() === new Date().getFullYear() ? undefined : 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
}

/**
 * Minutes with at most one decimal: "12.5 minutes", "1 minute"; a total
 * under six seconds reads in seconds ("2 seconds"), never as "0 minutes"
 * when something ran.
 */
export function formatMinutes(
  minutes: number,
  trans: TranslationBundle
): string {
  const rounded = Math.round(minutes * 10) / 10;
  if (minutes > 0 && rounded === 0) {
    const seconds = Math.max(1, Math.round(minutes * 60));
    return trans._n('%1 second', '%1 seconds', seconds);
  }
  return trans._n('%2 minute', '%2 minutes', rounded === 1 ? 1 : 2, rounded);
}

/** What started a run, from its `source`. */
export function sourceLabel(
  execution: IExecution,
  trans: TranslationBundle
): string {
  const type = execution.source?.type;
  if (!type) {
    return '';
  }
  const sources: { [type: string]: string } = {
    user: trans.__('a user'),
    apiToken: trans.__('an API token'),
    flow: trans.__('a workflow'),
    jupyter: trans.__('JupyterLab'),
    jupyterlab: trans.__('JupyterLab'),
    schedule: trans.__('a schedule')
  };
  return Object.prototype.hasOwnProperty.call(sources, type)
    ? sources[type]
    : type;
}
