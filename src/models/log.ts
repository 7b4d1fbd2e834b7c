/**
 * The log of a run shown in its details (result.log, or another text
 * output), kept current while the run is going.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IExecution, isActiveStatus, isFinishedStatus } from '../types';
import { IModelContext, withRunFile } from './context';
import { LinkModel } from './link';

/** The text of an output file of a run, as shown. */
export interface IShownLog {
  executionId: string;
  name: string;
  text: string;
}

export class LogModel {
  constructor(options: LogModel.IOptions) {
    this._context = options.context;
    this._link = options.link;
    this._executions = options.executions;
  }

  /** Emitted when a log is shown, updated or dropped. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The log shown, once loaded. */
  get current(): IShownLog | null {
    return this._log;
  }

  /**
   * Load an output file of a run of the linked notebook for display, and
   * keep it current while the run goes on (and once at its end).
   */
  async load(executionId: string, name = 'result.log'): Promise<void> {
    const link = this._link.link;
    if (!link) {
      return;
    }
    const file = { executionId, name };
    await withRunFile(this._context, link, 'log', file, text => {
      this._log = { executionId, name, text };
      const execution = this._executions().find(e => e.id === executionId);
      if (execution && isActiveStatus(execution.status)) {
        this._live.add(executionId);
      }
    });
    this._changed.emit();
  }

  /** Fetch the shown log again if its run is going, or has just ended. */
  async follow(items: readonly IExecution[]): Promise<void> {
    const log = this._log;
    const link = this._link.link;
    if (!log || !link) {
      return;
    }
    const current = items.find(e => e.id === log.executionId);
    if (!current || !this._live.has(log.executionId)) {
      return;
    }
    if (isFinishedStatus(current.status)) {
      this._live.delete(log.executionId);
    }
    try {
      const text = await this._context.api.fetchExecutionFile(
        link.connection,
        link.notebookId,
        log.executionId,
        log.name
      );
      if (this._log?.executionId === log.executionId) {
        this._log = { ...log, text };
        this._changed.emit();
      }
    } catch {
      // The log may not exist yet; the next check tries again.
    }
  }

  /** Drop the shown log unless it is the one of `executionId`. */
  keepOnly(executionId: string | null): void {
    if (this._log && this._log.executionId !== executionId) {
      this.reset();
    }
  }

  /** Drop the shown log. */
  reset(): void {
    if (this._log) {
      this._log = null;
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _context: IModelContext;
  private _link: LinkModel;
  private _executions: () => readonly IExecution[];
  private _log: IShownLog | null = null;
  private _live = new Set<string>();
  private _changed = new Signal<this, void>(this);
}

export namespace LogModel {
  export interface IOptions {
    context: IModelContext;
    link: LinkModel;
    /** The runs of the linked notebook as last checked. */
    executions: () => readonly IExecution[];
  }
}
