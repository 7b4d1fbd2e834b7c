/**
 * The schedule of the linked notebook: loading it, saving it from the
 * dialog, pausing, resuming and removing it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteApiError } from '../api';
import { IExecution, ISchedule, IScheduleBody } from '../types';
import { can, ConnectionModel } from './connections';
import { IModelContext } from './context';
import { LinkModel } from './link';

export class ScheduleModel {
  constructor(options: ScheduleModel.IOptions) {
    this._context = options.context;
    this._connections = options.connections;
    this._link = options.link;
  }

  /** Emitted when the schedule is loaded, saved, removed or dropped. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The linked notebook's schedule (null: none, or not loaded yet). */
  get schedule(): ISchedule | null {
    return this._schedule;
  }

  /** Whether the schedule of the current link was read at least once. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Whether the linked connection can schedule at all. */
  get possible(): boolean {
    return can(this._connections.find(this._link.link?.connection), 'schedule');
  }

  /** Read the schedule of the linked notebook. */
  async load(): Promise<void> {
    const link = this._link.link;
    if (!link || !this.possible) {
      return;
    }
    const { api, errors } = this._context;
    const generation = this._link.generation;
    try {
      const schedule = await api.getSchedule(link.connection, link.notebookId);
      if (generation === this._link.generation) {
        errors.clear('schedule');
        this._set(schedule);
      }
    } catch (error) {
      if (generation === this._link.generation) {
        this._loaded = true;
        errors.set('schedule', error);
      }
    }
  }

  /**
   * Create or replace the schedule (the dialog's Save). Resolves null when
   * it worked, else the error, which the dialog shows beside its fields.
   */
  async save(body: IScheduleBody): Promise<RemoteApiError | Error | null> {
    const link = this._link.link;
    if (!link) {
      return new Error(this._context.trans.__('The notebook is not linked.'));
    }
    const { api, activity, errors } = this._context;
    let failure: RemoteApiError | Error | null = null;
    const generation = this._link.generation;
    await activity.run('schedule', 'schedule', async () => {
      try {
        const schedule = await api.putSchedule(
          link.connection,
          link.notebookId,
          body
        );
        if (generation === this._link.generation) {
          this._set(schedule);
        }
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    });
    // The dialog shows the error; the panel keeps what it showed.
    errors.clear('schedule');
    return failure;
  }

  /** Pause (false) or resume (true): the same schedule, sent again. */
  setActive(active: boolean): Promise<boolean> {
    const link = this._link.link;
    const current = this._schedule;
    if (!link || !current) {
      return Promise.resolve(false);
    }
    const body: IScheduleBody = {
      cron: current.cron,
      timezone: current.timezone,
      active
    };
    if (current.until) {
      body.until = current.until;
    }
    if (current.templateContext) {
      body.templateContext = current.templateContext;
    }
    const { api, activity } = this._context;
    const generation = this._link.generation;
    return activity.run('schedule', 'schedule', async () => {
      const schedule = await api.putSchedule(
        link.connection,
        link.notebookId,
        body
      );
      if (generation === this._link.generation) {
        this._set(schedule);
      }
    });
  }

  /** Remove the schedule (runs it started stay in the runs list). */
  remove(): Promise<boolean> {
    const link = this._link.link;
    if (!link) {
      return Promise.resolve(false);
    }
    const { api, activity } = this._context;
    const generation = this._link.generation;
    return activity.run('schedule', 'schedule', async () => {
      await api.deleteSchedule(link.connection, link.notebookId);
      if (generation === this._link.generation) {
        this._set(null);
      }
    });
  }

  /**
   * The runs were checked: read the schedule again once its next run is
   * due or a run it started is new, so the next times and the last run
   * stay current without a poll of their own.
   */
  runsChecked(executions: readonly IExecution[]): void {
    const schedule = this._schedule;
    if (!schedule || this._reloading) {
      return;
    }
    const newest = executions.find(e => e.source?.type === 'schedule');
    const due = Date.parse(schedule.nextRunAt ?? '');
    const stale =
      (schedule.active && !isNaN(due) && due <= this._context.now()) ||
      (!!newest && newest.id !== (schedule.lastExecutionId ?? newest.id));
    if (stale) {
      this._reloading = true;
      void this.load().finally(() => {
        this._reloading = false;
      });
    }
  }

  /** Drop the schedule of the previous link. */
  reset(): void {
    this._loaded = false;
    if (this._schedule) {
      this._schedule = null;
    }
    this._changed.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _set(schedule: ISchedule | null): void {
    this._schedule = schedule;
    this._loaded = true;
    this._changed.emit();
  }

  private _context: IModelContext;
  private _connections: ConnectionModel;
  private _link: LinkModel;
  private _schedule: ISchedule | null = null;
  private _loaded = false;
  private _reloading = false;
  private _changed = new Signal<this, void>(this);
}

export namespace ScheduleModel {
  export interface IOptions {
    context: IModelContext;
    connections: ConnectionModel;
    link: LinkModel;
  }
}
