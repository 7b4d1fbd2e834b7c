/**
 * The "Remote runs" view: every run of every notebook linked in this
 * workspace, across connections, newest first, with filters, the run picked
 * for details, its log, and cancel.
 *
 * It does not poll: the runs' one poll ({@link RunsModel}) checks the
 * view's notebooks while the view is visible, each notebook once a tick (the
 * linked notebook's check is shared), and hands the answers here.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  ExecutionStatus,
  IExecution,
  INotebookLink,
  isActiveStatus
} from '../types';
import { can, ConnectionModel } from './connections';
import { IModelContext } from './context';
import { IShownError, shownError } from './errors';
import { IWorkspaceLink, linkKey, WorkspaceLinks } from './workspace';

/** One row of the view: a run and the notebook it is a run of. */
export interface IOverviewRun {
  /** `connection/notebookId/executionId`. */
  key: string;
  link: IWorkspaceLink;
  execution: IExecution;
}

/** `active`: queued, in progress or canceling; else one status, or all. */
export type StatusFilter = '' | 'active' | ExecutionStatus;

export interface IOverviewFilters {
  status: StatusFilter;
  /** A connection id, or '' for all. */
  connection: string;
  /** A notebook's {@link linkKey}, or '' for all. */
  notebook: string;
}

/** A shown log (result.log) of a run of the view. */
export interface IOverviewLog {
  key: string;
  text: string;
}

/** The run's key in the view. */
export function runKey(link: INotebookLink, executionId: string): string {
  return `${linkKey(link)}/${executionId}`;
}

function matches(status: ExecutionStatus, filter: StatusFilter): boolean {
  return (
    !filter ||
    (filter === 'active' ? isActiveStatus(status) : status === filter)
  );
}

function queuedTime(execution: IExecution): number {
  const time = Date.parse(execution.queuedAt ?? execution.startedAt ?? '');
  return Number.isNaN(time) ? 0 : time;
}

export class OverviewModel {
  constructor(options: OverviewModel.IOptions) {
    this._context = options.context;
    this._connections = options.connections;
    this._workspace = options.workspace;
    this._workspace.changed.connect(this._onWorkspaceChanged, this);
  }

  /** Emitted when runs arrive, a filter or the selection changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the view is shown or hidden. */
  get visibilityChanged(): ISignal<this, boolean> {
    return this._visibilityChanged;
  }

  get visible(): boolean {
    return this._visible;
  }

  setVisible(visible: boolean): void {
    if (visible !== this._visible) {
      this._visible = visible;
      this._visibilityChanged.emit(visible);
    }
  }

  /** The notebooks of the workspace, the one seen most recently first. */
  get notebooks(): readonly IWorkspaceLink[] {
    return this._workspace.list;
  }

  /** What the view calls a notebook. */
  label(link: INotebookLink): string {
    return this._workspace.label(link);
  }

  /**
   * The notebooks whose runs can be read: a connection the server lists
   * with run history (a kind without it, 4pointx, is never asked).
   */
  get checked(): IWorkspaceLink[] {
    return this._workspace.list.filter(link =>
      can(this._connections.find(link.connection), 'logs')
    );
  }

  /** Whether every notebook to check was checked at least once. */
  get loaded(): boolean {
    return this.checked.every(
      l => this._runs.has(linkKey(l)) || this._errors.has(linkKey(l))
    );
  }

  /** Every run, newest first. */
  get runs(): IOverviewRun[] {
    const rows: IOverviewRun[] = [];
    for (const link of this._workspace.list) {
      for (const execution of this._runs.get(linkKey(link)) ?? []) {
        rows.push({ key: runKey(link, execution.id), link, execution });
      }
    }
    return rows.sort(
      (a, b) => queuedTime(b.execution) - queuedTime(a.execution)
    );
  }

  /** The runs the filters let through, newest first. */
  get filtered(): IOverviewRun[] {
    const { status, connection, notebook } = this._filters;
    return this.runs.filter(
      run =>
        matches(run.execution.status, status) &&
        (!connection || run.link.connection === connection) &&
        (!notebook || linkKey(run.link) === notebook)
    );
  }

  /** Runs queued or in progress, across the view's notebooks. */
  get going(): IOverviewRun[] {
    return this.runs.filter(r =>
      ['queued', 'inProgress'].includes(r.execution.status)
    );
  }

  get filters(): IOverviewFilters {
    return this._filters;
  }

  setFilters(filters: Partial<IOverviewFilters>): void {
    this._filters = { ...this._filters, ...filters };
    this._changed.emit();
  }

  /** The notebooks whose last check failed, and why. */
  get errors(): { link: IWorkspaceLink; error: IShownError }[] {
    return this._workspace.list
      .filter(l => this._errors.has(linkKey(l)))
      .map(link => ({ link, error: this._errors.get(linkKey(link))! }));
  }

  /** The error of the last action (cancel, log), if it failed. */
  get actionError(): IShownError | null {
    return this._actionError;
  }

  get selectedKey(): string | null {
    return this._selected;
  }

  get selected(): IOverviewRun | null {
    return this.runs.find(r => r.key === this._selected) ?? null;
  }

  select(key: string | null): void {
    if (key !== this._selected) {
      this._selected = key;
      this._actionError = null;
      if (this._log && this._log.key !== key) {
        this._log = null;
      }
      this._changed.emit();
    }
  }

  /** Select a run, and show every run of its notebook (a notification's "Show details"). */
  show(link: INotebookLink, executionId: string): void {
    this._filters = { status: '', connection: '', notebook: '' };
    this.select(runKey(link, executionId));
    this._changed.emit();
  }

  get log(): IOverviewLog | null {
    return this._log;
  }

  isBusy(what: 'log' | 'cancel'): boolean {
    return this._busy.has(what);
  }

  /** The runs of a notebook, as a check read them. */
  update(link: INotebookLink, items: readonly IExecution[]): void {
    const key = linkKey(link);
    this._runs.set(key, items.slice());
    this._errors.delete(key);
    this._changed.emit();
  }

  /** A check of a notebook's runs failed. */
  fail(link: INotebookLink, error: unknown): void {
    this._errors.set(linkKey(link), shownError(error));
    this._changed.emit();
  }

  /** Load result.log of a run for display. */
  async loadLog(run: IOverviewRun): Promise<void> {
    await this._act('log', async () => {
      const text = await this._context.api.fetchExecutionFile(
        run.link.connection,
        run.link.notebookId,
        run.execution.id,
        'result.log'
      );
      this._log = { key: run.key, text };
    });
  }

  /** Ask the remote to cancel a run (confirmation is the command's). */
  async cancel(run: IOverviewRun): Promise<boolean> {
    const ok = await this._act('cancel', () =>
      this._context.api.cancelExecution(
        run.link.connection,
        run.link.notebookId,
        run.execution.id
      )
    );
    if (ok) {
      const key = linkKey(run.link);
      this._runs.set(
        key,
        (this._runs.get(key) ?? []).map(e =>
          e.id === run.execution.id && isActiveStatus(e.status)
            ? { ...e, status: 'canceling' }
            : e
        )
      );
      this._changed.emit();
    }
    return ok;
  }

  /** Whether the run's connection can cancel it now. */
  canCancel(run: IOverviewRun): boolean {
    return (
      ['queued', 'inProgress'].includes(run.execution.status) &&
      can(this._connections.find(run.link.connection), 'cancel')
    );
  }

  dispose(): void {
    this._workspace.changed.disconnect(this._onWorkspaceChanged, this);
    Signal.clearData(this);
  }

  private async _act(
    what: 'log' | 'cancel',
    work: () => Promise<unknown>
  ): Promise<boolean> {
    this._busy.add(what);
    this._actionError = null;
    this._changed.emit();
    try {
      await work();
      return true;
    } catch (error) {
      this._actionError = shownError(error);
      return false;
    } finally {
      this._busy.delete(what);
      this._changed.emit();
    }
  }

  /** Forget the runs of notebooks no longer in the workspace. */
  private _onWorkspaceChanged(): void {
    const keep = new Set(this._workspace.list.map(linkKey));
    for (const map of [this._runs, this._errors]) {
      for (const key of [...map.keys()]) {
        if (!keep.has(key)) {
          map.delete(key);
        }
      }
    }
    this._changed.emit();
  }

  private _context: IModelContext;
  private _connections: ConnectionModel;
  private _workspace: WorkspaceLinks;
  private _visible = false;
  private _runs = new Map<string, IExecution[]>();
  private _errors = new Map<string, IShownError>();
  private _filters: IOverviewFilters = {
    status: '',
    connection: '',
    notebook: ''
  };
  private _selected: string | null = null;
  private _log: IOverviewLog | null = null;
  private _actionError: IShownError | null = null;
  private _busy = new Set<string>();
  private _changed = new Signal<this, void>(this);
  private _visibilityChanged = new Signal<this, boolean>(this);
}

export namespace OverviewModel {
  export interface IOptions {
    context: IModelContext;
    connections: ConnectionModel;
    workspace: WorkspaceLinks;
  }
}
