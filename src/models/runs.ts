/**
 * The runs of the linked notebook, the one selected, and the polling that
 * keeps them live (`@lumino/polling`).
 *
 * While a run is queued, running or canceling, the runs are checked every
 * `activeInterval`; when nothing runs the interval starts at `idleInterval`
 * and doubles up to `maxInterval`; a failing check backs off the same way,
 * and a 429 waits as long as its Retry-After says. The poll stands by while
 * the browser tab is hidden, and while the panel is hidden unless a run
 * started from this session is still going (its end must still be noticed
 * to be announced).
 *
 * The same poll checks the notebooks of the "Remote runs" view
 * ({@link OverviewModel}) while it is visible, each notebook once a tick,
 * and counts the runs going that it watches (the status bar's number).
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteApiError } from '../api';
import { sameLink } from '../notebook';
import { IRunFinished } from '../tokens';
import {
  ExecutionStatus,
  IExecuteBody,
  IExecution,
  INotebookLink,
  isActiveStatus,
  isFinishedStatus
} from '../types';
import { can, ConnectionModel } from './connections';
import { IModelContext } from './context';
import { LinkModel } from './link';
import { LogModel } from './log';
import { OverviewModel, runKey } from './overview';
import { linkKey, WorkspaceLinks } from './workspace';

/** How many runs a check asks for. */
const RUNS_PER_CHECK = 20;
/** The most runs of the linked notebook "Show older runs" reaches. */
const MAX_SHOWN = 200;

/** A run this session started, watched until it finishes. */
interface IWatchedRun extends INotebookLink {
  notebookName: string;
  /** Its status at the last check (queued until one says otherwise). */
  status: ExecutionStatus;
}

/** Whether a run counts as going for the status bar. */
function isGoing(status: string): boolean {
  return status === 'queued' || status === 'inProgress';
}

/** A run to select once its notebook is the active one. */
interface IPendingSelection extends INotebookLink {
  executionId: string;
}

export class RunsModel {
  constructor(options: RunsModel.IOptions) {
    this._context = options.context;
    this._connections = options.connections;
    this._link = options.link;
    this._log = options.log;
    this._overview = options.overview;
    this._workspace = options.workspace;
    this._overview.visibilityChanged.connect((_, visible) => {
      if (visible && !this._poll.isDisposed) {
        this.checkSoon();
      }
    });
    const { idleInterval, maxInterval } = this._context.settings;
    this._poll = new Poll<void, unknown, 'standby'>({
      auto: false,
      factory: () => this._check(),
      frequency: { interval: idleInterval, backoff: 2, max: maxInterval },
      name: 'jupyter-notebook-remote:runs',
      standby: () => this._standby()
    });
  }

  /**
   * Emitted when the runs are checked (the durations of going runs move on
   * even when nothing else changed), a run starts or the selection changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once when a run started from this session finishes. */
  get runFinished(): ISignal<this, IRunFinished> {
    return this._runFinished;
  }

  /**
   * Emitted once when a run this session did not start, seen going in a
   * shown list (the panel's, the runs view's), ends errored or timed out.
   */
  get runFailed(): ISignal<this, IRunFinished> {
    return this._runFailed;
  }

  /**
   * How many runs are queued or in progress among those watched: started
   * from this session (checked until they end, shown or not), and those of
   * the panel's notebook and of the runs view while they are shown.
   */
  get goingCount(): number {
    const going = new Set<string>();
    for (const [key, watched] of this._watched) {
      if (isGoing(watched.status)) {
        going.add(key);
      }
    }
    const link = this._link.link;
    if (this._visible && link) {
      for (const e of this._executions) {
        if (isGoing(e.status)) {
          going.add(runKey(link, e.id));
        }
      }
    }
    if (this._overview.visible) {
      for (const run of this._overview.going) {
        going.add(run.key);
      }
    }
    return going.size;
  }

  /** Emitted when a run of the linked notebook ends (its usage moved on). */
  get linkedRunEnded(): ISignal<this, void> {
    return this._linkedRunEnded;
  }

  /** The runs of the linked notebook, newest first. */
  get executions(): readonly IExecution[] {
    return this._executions;
  }

  /** Whether the runs of the linked notebook were checked once. */
  get loaded(): boolean {
    return this._loaded;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  get selected(): IExecution | null {
    return this._executions.find(e => e.id === this._selectedId) ?? null;
  }

  /** The run Cancel acts on: the selected one if it is going, else the newest going. */
  get cancelTarget(): IExecution | null {
    const selected = this.selected;
    if (selected && isActiveStatus(selected.status)) {
      return selected.status === 'canceling' ? null : selected;
    }
    return (
      this._executions.find(
        e => isActiveStatus(e.status) && e.status !== 'canceling'
      ) ?? null
    );
  }

  /** Start polling. */
  start(): void {
    void this._poll.start();
  }

  /** Tell whether the panel is visible (hidden panels stand by). */
  setVisible(visible: boolean): void {
    if (this._visible === visible) {
      return;
    }
    this._visible = visible;
    if (visible && !this._poll.isDisposed) {
      this.checkSoon();
    }
  }

  /** Check now, and then at the quick end of the idle intervals. */
  checkSoon(): void {
    this._idleTicks = 0;
    this._applyFrequency();
    void this._poll.refresh();
  }

  /** Take new intervals (from the next check on). */
  applySettings(): void {
    this._applyFrequency();
  }

  select(id: string | null): void {
    if (id === this._selectedId) {
      return;
    }
    this._selectedId = id;
    this._context.errors.clear('details');
    this._log.keepOnly(id);
    this._changed.emit();
  }

  /**
   * Select a run once its notebook is the active one (at once if it is):
   * the "Show details" action of a notification.
   */
  showExecution(link: INotebookLink, executionId: string): void {
    if (this._link.isLinkedTo(link)) {
      this._pending = null;
      this.select(executionId);
    } else {
      this._pending = { ...link, executionId };
    }
  }

  /**
   * Whether the linked notebook may have runs older than those shown: the
   * last answer was as long as asked.
   */
  get mayHaveOlder(): boolean {
    return this._executions.length >= this._shown;
  }

  /** Show the next older runs of the linked notebook too (checked now). */
  showOlder(): void {
    this._shown = Math.min(this._shown + RUNS_PER_CHECK, MAX_SHOWN);
    this.checkSoon();
  }

  /** Forget the runs of the previous link; select a run waiting for this one. */
  reset(): void {
    this._shown = RUNS_PER_CHECK;
    this._executions = [];
    this._loaded = false;
    this._selectedId = null;
    const pending = this._pending;
    if (pending && this._link.isLinkedTo(pending)) {
      this._selectedId = pending.executionId;
      this._pending = null;
    }
    this._changed.emit();
  }

  /** Start a run of what was last pushed (with `body`'s options); resolves its execution id. */
  async run(
    notebookName: string,
    body: IExecuteBody = {}
  ): Promise<string | null> {
    const link = this._link.link;
    const { api, activity } = this._context;
    if (!link || activity.isBusy('run')) {
      return null;
    }
    let executionId: string | null = null;
    activity.notice = null;
    const ok = await activity.run('run', 'actions', async () => {
      const started = await api.execute(link.connection, link.notebookId, body);
      executionId = started.executionId;
    });
    if (ok && executionId && this._hasRuns(link)) {
      this._watched.set(runKey(link, executionId), {
        ...link,
        notebookName,
        status: 'queued'
      });
      this._selectedId = executionId;
      this._checkQuickly();
    }
    this._changed.emit();
    return executionId;
  }

  /**
   * Watch a run started elsewhere in this session (the file browser's Run):
   * it is checked until it ends and announced then.
   */
  watch(link: INotebookLink, executionId: string, notebookName: string): void {
    if (this._hasRuns(link)) {
      this._watched.set(runKey(link, executionId), {
        connection: link.connection,
        notebookId: link.notebookId,
        notebookName,
        status: 'queued'
      });
      this._checkQuickly();
      this._changed.emit();
    }
  }

  /** Ask the remote to cancel a run. */
  async cancel(executionId: string): Promise<boolean> {
    const link = this._link.link;
    const { api, activity } = this._context;
    if (!link || activity.isBusy('cancel')) {
      return false;
    }
    const ok = await activity.run('cancel', 'actions', () =>
      api.cancelExecution(link.connection, link.notebookId, executionId)
    );
    if (ok) {
      this._executions = this._executions.map(e =>
        e.id === executionId && isActiveStatus(e.status)
          ? { ...e, status: 'canceling' }
          : e
      );
      this._checkQuickly();
    }
    this._changed.emit();
    return ok;
  }

  /**
   * Open a run that is a live server (Civis) in `tab`, opened for it in the
   * click (one opened once the answer is in may be blocked). Its URL is
   * signed and short-lived: asked for now, handed to the tab, never kept.
   * A refusal (409 `not_running`: it stopped) is said in the run's details,
   * the tab closed and the runs checked again.
   */
  async open(executionId: string, tab: Window | null): Promise<boolean> {
    const link = this._link.link;
    const { api, activity, errors, trans } = this._context;
    if (!link) {
      return false;
    }
    if (!tab) {
      return errors.refuse(
        'details',
        trans.__('The browser blocked the new tab; allow pop-ups.')
      );
    }
    let url = '';
    const ok = await activity.run('open', 'details', async () => {
      url = (
        await api.openExecution(link.connection, link.notebookId, executionId)
      ).url;
    });
    if (ok) {
      tab.opener = null;
      tab.location.replace(url);
    } else {
      tab.close();
      this.checkSoon();
    }
    return ok;
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Whether the connection has run history to read (capability `logs`,
   * "list runs"): a kind without it (4pointx answers no route for it), a
   * connection the server does not list, or one whose capabilities are not
   * known yet, is never asked.
   */
  private _hasRuns(link: INotebookLink): boolean {
    return can(this._connections.find(link.connection), 'logs');
  }

  private _standby(): boolean | Poll.Standby {
    if (this._visible || this._overview.visible || this._watched.size > 0) {
      return 'when-hidden';
    }
    return true;
  }

  /** A run is going: check now and then at the active interval. */
  private _checkQuickly(): void {
    this._idleTicks = 0;
    this._applyFrequency(true);
    void this._poll.refresh();
  }

  /** Pick the next interval from what is going on. */
  private _applyFrequency(active = this._isActive()): void {
    if (this._poll.isDisposed) {
      return;
    }
    const { activeInterval, idleInterval, maxInterval } =
      this._context.settings;
    const max = Math.max(maxInterval, activeInterval, idleInterval);
    const interval = active
      ? activeInterval
      : Math.min(
          max,
          idleInterval * Math.pow(2, Math.max(0, this._idleTicks - 1))
        );
    this._poll.frequency = { interval, backoff: 2, max };
  }

  private _isActive(): boolean {
    return (
      this._executions.some(e => isActiveStatus(e.status)) ||
      this._watched.size > 0 ||
      (this._overview.visible &&
        this._overview.runs.some(r => isActiveStatus(r.execution.status)))
    );
  }

  /** One poll tick: check the runs of the linked notebook and watched runs. */
  private async _check(): Promise<void> {
    const link = this._link.link;
    const generation = this._link.generation;
    const { errors } = this._context;
    // What this tick read, by notebook: each is asked once a tick.
    const read = new Map<string, IExecution[]>();
    let failure: unknown = null;
    if (link && !this._connections.extensionMissing && !this._hasRuns(link)) {
      // A kind without run history (4pointx): nothing to ask, ever.
      this._loaded = true;
      this._executions = [];
    } else if (link && !this._connections.extensionMissing) {
      try {
        const items = await this._list(link, this._shown);
        read.set(linkKey(link), items.slice(0, RUNS_PER_CHECK));
        if (generation === this._link.generation) {
          if (this._visible) {
            this._noteFailures(link, items);
          }
          this._update(items);
          errors.clear('runs');
          await this._log.follow(items);
        }
        this._checkWatched(link, items);
      } catch (error) {
        failure = error;
        if (generation === this._link.generation) {
          this._loaded = true;
          errors.set('runs', error);
        }
      }
    }
    // Runs this session started on other notebooks than the shown one; one
    // whose connection turns out to have no run history is let go.
    const others = new Map<string, IWatchedRun>();
    for (const [key, watched] of this._watched) {
      if (!this._hasRuns(watched)) {
        this._watched.delete(key);
      } else if (!link || !sameLink(watched, link)) {
        others.set(linkKey(watched), watched);
      }
    }
    for (const watched of others.values()) {
      try {
        const items = await this._list(watched);
        read.set(linkKey(watched), items);
        this._checkWatched(watched, items);
      } catch {
        // The shown notebook's errors are reported; a background check that
        // fails is simply tried again at the next tick.
      }
    }
    await this._checkOverview(read);
    const active = this._isActive();
    this._idleTicks = active ? 0 : this._idleTicks + 1;
    this._applyFrequency(active);
    this._changed.emit();
    if (failure instanceof RemoteApiError && failure.retryAfter !== undefined) {
      this._waitAsAsked(failure.retryAfter);
      return;
    }
    if (failure) {
      throw failure;
    }
  }

  /**
   * The runs view's notebooks, while it is shown: what this tick read
   * already is reused, the others are asked once each.
   */
  private async _checkOverview(read: Map<string, IExecution[]>): Promise<void> {
    const overview = this._overview;
    if (!overview.visible || this._connections.extensionMissing) {
      return;
    }
    for (const link of overview.checked) {
      let items = read.get(linkKey(link));
      if (!items) {
        try {
          items = await this._list(link);
        } catch (error) {
          overview.fail(link, error);
          continue;
        }
        this._checkWatched(link, items);
      }
      this._noteFailures(link, items);
      overview.update(link, items);
    }
  }

  /**
   * Runs seen going in a shown list are followed there: one this session
   * did not start that then ends errored (or timed out) is announced.
   */
  private _noteFailures(link: INotebookLink, items: IExecution[]): void {
    for (const execution of items) {
      const key = runKey(link, execution.id);
      if (this._watched.has(key)) {
        continue;
      }
      if (isActiveStatus(execution.status)) {
        this._seenGoing.add(key);
      } else if (this._seenGoing.delete(key)) {
        if (execution.status === 'errored' || execution.status === 'timeout') {
          this._runFailed.emit({
            execution,
            connection: link.connection,
            notebookId: link.notebookId,
            notebookName: this._workspace.label(link)
          });
        }
      }
    }
  }

  /** The server said when to come back (429 Retry-After): wait that long. */
  private _waitAsAsked(retryAfter: number): void {
    const { activeInterval, maxInterval } = this._context.settings;
    const wait = Math.min(
      Math.max(maxInterval, activeInterval),
      Math.max(activeInterval, Math.round(retryAfter * 1000))
    );
    this._poll.frequency = {
      ...this._poll.frequency,
      interval: wait,
      max: Math.max(this._poll.frequency.max, wait)
    };
  }

  private _list(
    link: INotebookLink,
    limit = RUNS_PER_CHECK
  ): Promise<IExecution[]> {
    // Polls of other tabs may share one remote read, but never one older than
    // the quickest interval this panel polls at.
    return this._context.api.listExecutions(link.connection, link.notebookId, {
      limit,
      maxAge: this._context.settings.activeInterval / 1000
    });
  }

  private _update(items: IExecution[]): void {
    const before = new Map(this._executions.map(e => [e.id, e.status]));
    const endedNow = items.some(
      e =>
        isFinishedStatus(e.status) &&
        before.has(e.id) &&
        !isFinishedStatus(before.get(e.id)!)
    );
    this._executions = items;
    this._loaded = true;
    if (endedNow) {
      this._linkedRunEnded.emit();
    }
  }

  private _checkWatched(link: INotebookLink, items: IExecution[]): void {
    for (const execution of items) {
      const key = runKey(link, execution.id);
      const watched = this._watched.get(key);
      if (watched) {
        watched.status = execution.status;
      }
      if (watched && isFinishedStatus(execution.status)) {
        this._watched.delete(key);
        this._runFinished.emit({
          execution,
          connection: link.connection,
          notebookId: link.notebookId,
          notebookName: watched.notebookName
        });
      }
    }
  }

  private _context: IModelContext;
  private _connections: ConnectionModel;
  private _link: LinkModel;
  private _log: LogModel;
  private _overview: OverviewModel;
  private _workspace: WorkspaceLinks;
  private _seenGoing = new Set<string>();
  private _poll: Poll<void, unknown, 'standby'>;
  private _visible = false;
  private _idleTicks = 0;
  private _executions: IExecution[] = [];
  private _shown = RUNS_PER_CHECK;
  private _loaded = false;
  private _selectedId: string | null = null;
  private _pending: IPendingSelection | null = null;
  private _watched = new Map<string, IWatchedRun>();
  private _changed = new Signal<this, void>(this);
  private _runFinished = new Signal<this, IRunFinished>(this);
  private _runFailed = new Signal<this, IRunFinished>(this);
  private _linkedRunEnded = new Signal<this, void>(this);
}

export namespace RunsModel {
  export interface IOptions {
    context: IModelContext;
    connections: ConnectionModel;
    link: LinkModel;
    log: LogModel;
    overview: OverviewModel;
    workspace: WorkspaceLinks;
  }
}
