/**
 * The state of the Remote Notebooks panel: one model composed of the parts
 * in `models/`, each of one concern and with its own signal.
 *
 * Components render this model and call its methods; only the parts
 * (through the REST client) talk to the server. The model provides
 * {@link INotebookRemote} to other plugins.
 *
 * Signals: `connectionsChanged`, `linkChanged`, `runsChanged`,
 * `usageChanged` and `activityChanged` (actions in flight) say what
 * changed, for the commands and other plugins; `stateChanged` follows every
 * change, for the panel, which renders all of it.
 */
import { VDomModel } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteNotebookApi } from './api';
import { Action, Activity } from './models/activity';
import { ChooserModel } from './models/chooser';
import { can, ConnectionModel, whyNot } from './models/connections';
import { IModelContext } from './models/context';
import {
  ErrorArea,
  ErrorBoard,
  IShownError,
  LINK_AREAS
} from './models/errors';
import { LinkModel } from './models/link';
import { IShownLog, LogModel } from './models/log';
import { PullModel } from './models/pull';
import { IPushProgress, PushModel } from './models/push';
import { RemoteNotebookModel } from './models/remote';
import { ResultNotebooks } from './models/results';
import { OverviewModel } from './models/overview';
import { RunsModel } from './models/runs';
import { ScheduleModel } from './models/schedule';
import { UsageModel } from './models/usage';
import { ILinkStore, WorkspaceLinks } from './models/workspace';
import { baseName, INotebookHandle, parseLink, stem } from './notebook';
import { runBody } from './runOptions';
import {
  DEFAULT_SETTINGS,
  INotebookRemote,
  IRemoteSettings,
  IRunFinished
} from './tokens';
import {
  Capability,
  FolderMode,
  IConnection,
  IExecuteBody,
  IExecution,
  IFolderCarried,
  INotebookLink,
  INotebookPatch,
  IPushResult,
  IPushWarning,
  IRemoteNotebook,
  IRunOptions,
  ISchedule,
  IScheduleBody,
  IUsage
} from './types';

export class RemoteModel extends VDomModel implements INotebookRemote {
  constructor(options: RemoteModel.IOptions) {
    super();
    this._settings = { ...DEFAULT_SETTINGS, ...(options.settings ?? {}) };
    const settings = () => this._settings;
    const errors = new ErrorBoard();
    const activity = new Activity(errors);
    const context: IModelContext = {
      api: options.api,
      trans: options.trans ?? nullTranslator.load('jupyter_notebook_remote'),
      now: options.now ?? (() => Date.now()),
      get settings() {
        return settings();
      },
      errors,
      activity
    };
    const link = new LinkModel();
    const linked = () => link.link?.connection ?? null;
    const connections = new ConnectionModel({ context, linked });
    const remote = new RemoteNotebookModel({ context, link, connections });
    const executions = (): readonly IExecution[] => runs.executions;
    const log = new LogModel({ context, link, executions });
    const workspace = new WorkspaceLinks();
    const overview = new OverviewModel({ context, connections, workspace });
    const runs = new RunsModel({
      context,
      connections,
      link,
      log,
      overview,
      workspace
    });
    const usage = new UsageModel({ context, connections, link });
    const push = new PushModel({ context, link, remote });
    this._pull = new PullModel({
      context,
      link,
      openPath: options.openPath ?? null
    });
    const chooser = new ChooserModel({ context, connections, link, remote });
    const schedule = new ScheduleModel({ context, connections, link });
    this._schedule = schedule;
    this._context = context;
    this._link = link;
    this._connections = connections;
    this._remote = remote;
    this._log = log;
    this._runs = runs;
    this._usage = usage;
    this._push = push;
    this.chooser = chooser;
    this.workspace = workspace;
    this.overview = overview;
    this._contents = options.contents ?? null;
    this._openTab = options.openTab ?? (() => window.open('', '_blank'));
    this._results = new ResultNotebooks({
      context,
      link,
      contents: options.contents ?? null,
      openPath: options.openPath ?? null
    });

    link.linkChanged.connect(this._onLinkChanged, this);
    runs.linkedRunEnded.connect(() => {
      void usage.load();
      void remote.load();
    });
    runs.runFinished.connect((_, event) => this._runFinished.emit(event));
    runs.runFailed.connect((_, event) => this._runFailed.emit(event));
    // The notebooks linked in this workspace: each one seen, where it is now,
    // and its remote name once read.
    const noteNotebook = () => {
      const notebook = link.notebook;
      if (notebook && !notebook.isDisposed) {
        workspace.note(notebook.path, link.link, remote.notebook?.name);
      }
    };
    link.linkChanged.connect(noteNotebook);
    link.notebookChanged.connect(noteNotebook);
    remote.changed.connect(() => {
      const current = link.link;
      if (current && remote.notebook?.id === current.notebookId) {
        workspace.name(current, remote.notebook.name);
      }
    });
    const forward = (from: ISignal<unknown, void>, to: Signal<this, void>) =>
      from.connect(() => to.emit());
    forward(connections.changed, this._connectionsChanged);
    forward(runs.changed, this._runsChanged);
    forward(usage.changed, this._usageChanged);
    forward(activity.changed, this._activityChanged);
    // The panel renders all of it.
    for (const part of [errors, activity, connections, remote, chooser]) {
      forward(part.changed, this.stateChanged);
    }
    for (const part of [log, runs, usage, push]) {
      forward(part.changed, this.stateChanged);
    }
    forward(schedule.changed, this._scheduleChanged);
    forward(schedule.changed, this.stateChanged);
    runs.changed.connect(() => schedule.runsChecked(runs.executions));
    forward(link.notebookChanged, this.stateChanged);
  }

  /** The inline chooser of the remote notebook to link. */
  readonly chooser: ChooserModel;

  /** The notebooks linked in this workspace. */
  readonly workspace: WorkspaceLinks;

  /** The "Remote runs" view: every run of the workspace's notebooks. */
  readonly overview: OverviewModel;

  // ---------------------------------------------------------------- signals

  get connectionsChanged(): ISignal<this, void> {
    return this._connectionsChanged;
  }

  /** Emitted once what belonged to the previous link is dropped. */
  get linkChanged(): ISignal<this, void> {
    return this._linkChanged;
  }

  get runsChanged(): ISignal<this, void> {
    return this._runsChanged;
  }

  get usageChanged(): ISignal<this, void> {
    return this._usageChanged;
  }

  /** Emitted when an action starts or ends, or the notice changes. */
  get activityChanged(): ISignal<this, void> {
    return this._activityChanged;
  }

  get runFinished(): ISignal<this, IRunFinished> {
    return this._runFinished;
  }

  /** Emitted when the linked notebook's schedule is loaded, saved or removed. */
  get scheduleChanged(): ISignal<this, void> {
    return this._scheduleChanged;
  }

  /**
   * Emitted once when a run this session did not start, watched in the
   * panel or the runs view, ends errored or timed out.
   */
  get runFailed(): ISignal<this, IRunFinished> {
    return this._runFailed;
  }

  // ---------------------------------------------------------------- state

  get settings(): IRemoteSettings {
    return this._settings;
  }

  get connections(): readonly IConnection[] {
    return this._connections.list;
  }

  get connectionsLoaded(): boolean {
    return this._connections.loaded;
  }

  /** True when the server extension does not answer at all. */
  get extensionMissing(): boolean {
    return this._connections.extensionMissing;
  }

  /** The id of the connection picked in the panel. */
  get connectionId(): string | null {
    return this._connections.selectedId;
  }

  get connection(): IConnection | null {
    return this._connections.selected;
  }

  get notebook(): INotebookHandle | null {
    return this._link.notebook;
  }

  get link(): INotebookLink | null {
    return this._link.link;
  }

  /** The connection of the linked notebook (may differ from the picker's). */
  get linkConnection(): IConnection | null {
    return this._connections.find(this.link?.connection);
  }

  /** Default name of a new remote notebook: the file name without .ipynb. */
  get defaultRemoteName(): string {
    return this._link.defaultRemoteName;
  }

  get remoteNotebook(): IRemoteNotebook | null {
    return this._remote.notebook;
  }

  get executions(): readonly IExecution[] {
    return this._runs.executions;
  }

  /** Whether the linked notebook may have older runs than those shown. */
  get mayHaveOlderRuns(): boolean {
    return this._runs.mayHaveOlder;
  }

  /** Show the next older runs of the linked notebook too. */
  showOlderRuns(): void {
    this._runs.showOlder();
  }

  get runsLoaded(): boolean {
    return this._runs.loaded;
  }

  get selectedExecutionId(): string | null {
    return this._runs.selectedId;
  }

  get selectedExecution(): IExecution | null {
    return this._runs.selected;
  }

  /** The run Cancel acts on: the selected one if it is going, else the newest going. */
  get cancelTarget(): IExecution | null {
    return this._runs.cancelTarget;
  }

  get usage(): IUsage | null {
    return this._usage.usage;
  }

  /** Watched runs queued or in progress (the status bar's number). */
  get goingCount(): number {
    return this._runs.goingCount;
  }

  get pushProgress(): IPushProgress | null {
    return this._push.progress;
  }

  /** What the last push of the active notebook noticed (pushed all the same). */
  get pushWarnings(): IPushWarning[] {
    return this._push.warnings;
  }

  /** What the last push of the active notebook carried from beside it. */
  get pushFolder(): IFolderCarried | null {
    return this._push.folder;
  }

  /** Which files beside the notebook its pushes carry (kept in the link). */
  setFolder(folder: FolderMode): void {
    this._link.setFolder(folder);
  }

  /** Whether the local file may differ from what was last pushed. */
  get localChangedSincePush(): boolean {
    return this._push.localChangedSincePush;
  }

  /** A short confirmation of the last action (e.g. "Export queued"). */
  get notice(): string | null {
    return this._context.activity.notice;
  }

  /** The linked notebook's schedule (null: none, or not loaded yet). */
  get schedule(): ISchedule | null {
    return this._schedule.schedule;
  }

  /** Whether the linked notebook's schedule was read. */
  get scheduleLoaded(): boolean {
    return this._schedule.loaded;
  }

  /** The log of a run shown in its details, once loaded. */
  get log(): IShownLog | null {
    return this._log.current;
  }

  isBusy(action: Action): boolean {
    return this._context.activity.isBusy(action);
  }

  error(area: ErrorArea): IShownError | null {
    return this._context.errors.get(area);
  }

  /** The error to show in an area (none when a part above says the same). */
  shownError(area: ErrorArea): IShownError | null {
    return this._context.errors.shown(area);
  }

  /** Whether the connection (the linked one by default) can do `capability`. */
  can(capability: Capability, connection = this.linkConnection): boolean {
    return can(connection, capability);
  }

  /** Why the connection cannot do `capability` (null when it can). */
  whyNot(
    capability: Capability,
    connection = this.linkConnection
  ): string | null {
    return whyNot(connection, capability, this._context.trans);
  }

  /** Whether the connection's kind uses a token at all. */
  needsToken(connection = this.connection): boolean {
    return connection?.needsToken ?? false;
  }

  // ---------------------------------------------------------------- life cycle

  /** Load the connections and start polling. */
  async start(): Promise<void> {
    await this._connections.load();
    // A notebook followed before the connections were known could not load
    // what depends on its connection's capabilities (usage): load it now.
    this._refreshLinked();
    this._runs.start();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    for (const part of [
      this._schedule,
      this._runs,
      this.overview,
      this.workspace,
      this.chooser,
      this._link,
      this._usage,
      this._log,
      this._push,
      this._remote,
      this._connections,
      this._context.activity,
      this._context.errors
    ]) {
      part.dispose();
    }
    super.dispose();
    Signal.clearData(this);
  }

  /** Apply new settings (intervals take effect at the next check). */
  updateSettings(settings: IRemoteSettings): void {
    const usageChanged = settings.usageDays !== this._settings.usageDays;
    this._settings = settings;
    this._runs.applySettings();
    if (usageChanged) {
      void this._usage.load();
    }
    this.stateChanged.emit();
  }

  /** Tell the model whether the panel is visible (hidden panels stand by). */
  setVisible(visible: boolean): void {
    this._runs.setVisible(visible);
  }

  /** Follow another notebook (or none). */
  setNotebook(notebook: INotebookHandle | null): void {
    if (notebook !== this._link.notebook) {
      this.chooser.reset();
      this._link.setNotebook(notebook);
    }
  }

  /** Reload everything about the linked notebook and check runs now. */
  refresh(): Promise<void> {
    const done = this._remote.load();
    void this._usage.load();
    void this._schedule.load();
    this._runs.checkSoon();
    return done;
  }

  // ---------------------------------------------------------------- connections

  loadConnections(): Promise<void> {
    return this._connections.load();
  }

  selectConnection(id: string): void {
    if (this._connections.select(id)) {
      this.chooser.reset();
    }
  }

  async setToken(token: string): Promise<boolean> {
    const ok = await this._connections.setToken(token);
    if (ok) {
      this._refreshLinked();
    }
    return ok;
  }

  forgetToken(): Promise<boolean> {
    return this._connections.forgetToken();
  }

  /** Read the workspace's linked notebooks from where it keeps them. */
  restoreWorkspace(store: ILinkStore): Promise<void> {
    return this.workspace.restore(store);
  }

  // ---------------------------------------------------------------- files

  /**
   * The link of the notebook file at `path`, read from the saved file (and
   * noted in the workspace); null when it has none.
   */
  async readLink(path: string): Promise<INotebookLink | null> {
    if (!this._contents) {
      return this.workspace.byPath(path);
    }
    const file = await this._contents.get(path, {
      type: 'notebook',
      content: true
    });
    const metadata = (file.content as { metadata?: Record<string, unknown> })
      ?.metadata;
    const link = parseLink(metadata?.notebook_remote);
    this.workspace.note(path, link);
    return link;
  }

  /** Push the saved file at `path` to the remote notebook it is linked to. */
  async pushFile(path: string, link: INotebookLink): Promise<IPushResult> {
    const pushed = await this._context.api.push(
      link.connection,
      link.notebookId,
      path,
      link.folder,
      this._push.lastSeen(path, link)
    );
    this._push.noteRemote(path, link, pushed.updatedAt);
    this.workspace.note(path, link, pushed.name);
    if (this._link.isLinkedTo(link)) {
      void this._remote.load();
    }
    return pushed;
  }

  /**
   * Run what was last pushed of the notebook at `path`; the run is watched
   * (status bar, notification) until it ends. Resolves its execution id.
   */
  async runFile(path: string, link: INotebookLink): Promise<string> {
    const started = await this._context.api.execute(
      link.connection,
      link.notebookId,
      {}
    );
    this.workspace.note(path, link);
    this._runs.watch(link, started.executionId, this.workspace.label(link));
    this._ran(link);
    return started.executionId;
  }

  // ---------------------------------------------------------------- linking

  /** Remove the link from the notebook's metadata. */
  unlink(): void {
    this._link.setLink(null);
  }

  rename(name: string): Promise<boolean> {
    return this._remote.rename(name);
  }

  /** Change the remote notebook's settings (one PATCH); false when refused. */
  updateNotebook(patch: INotebookPatch): Promise<boolean> {
    return this._remote.update(patch);
  }

  /**
   * Ask the remote for an export of the notebook's input data, with the
   * query time and where to send it of `options` (an export takes no
   * context); resolves null once queued, else the refusal (for the dialog,
   * beside its field).
   */
  async requestInputExport(options: IRunOptions): Promise<IShownError | null> {
    const body = runBody(options, this._context.now());
    return (await this._remote.requestInputExport(body))
      ? null
      : this._refusal('notebook');
  }

  // ---------------------------------------------------------------- runs

  /**
   * Save the notebook, then push the saved file; a remote changed since the
   * link last saw it is refused unless `overwrite` ({@link pushRefusedAsChanged}).
   */
  push(overwrite = false): Promise<boolean> {
    return this._push.push(overwrite);
  }

  /** Whether the last push was refused because the remote changed since. */
  get pushRefusedAsChanged(): boolean {
    return this._push.refusedAsChanged;
  }

  /**
   * Save the file of a remote notebook (the linked one by default) as a new
   * linked notebook beside the active one, and open it.
   */
  openRemoteCopy(link = this.link, name?: string): Promise<string | null> {
    if (!link) {
      return Promise.resolve(null);
    }
    const fallback = this._link.notebook
      ? `${stem(this._link.notebook.path)} (remote)`
      : link.notebookId;
    return this._pull.openCopy(link, name ?? fallback);
  }

  /** Replace the active notebook with its remote notebook's file. */
  replaceWithRemoteCopy(): Promise<boolean> {
    return this._pull.replace();
  }

  /** Start a run of what was last pushed (with `body`'s options). */
  async run(body?: IExecuteBody): Promise<string | null> {
    const notebook = this._link.notebook;
    const link = this.link;
    const id = await this._runs.run(
      this._remote.notebook?.name ??
        (notebook ? baseName(notebook.path) : (link?.notebookId ?? '')),
      body
    );
    if (id && link) {
      this._ran(link);
    }
    return id;
  }

  /**
   * Open a run that is a live server (Civis, capability `open`) in a new
   * tab. The tab is opened here, in the click; its address comes after.
   */
  openRun(executionId: string): Promise<boolean> {
    return this.can('open')
      ? this._runs.open(executionId, this._openTab())
      : Promise.resolve(false);
  }

  /**
   * Delete (Civis: archive) the linked remote notebook and unlink this
   * notebook from it; the confirmation is the caller's.
   */
  deleteRemote(): Promise<boolean> {
    return this.can('delete') ? this._remote.delete() : Promise.resolve(false);
  }

  /**
   * Run with `options` (pushed first with `push`), kept in the notebook's
   * link for the next time; resolves null once the run started, else the
   * refusal (for the dialog, beside its field).
   */
  async runWithOptions(
    options: IRunOptions,
    push: boolean
  ): Promise<IShownError | null> {
    this._link.setRunOptions(options);
    const started =
      (!push || (await this.push())) &&
      (await this.run(runBody(options, this._context.now()))) !== null;
    return started ? null : this._refusal('actions');
  }

  /** Push, then run if the push worked. */
  async pushAndRun(overwrite = false): Promise<string | null> {
    const pushed = await this.push(overwrite);
    return pushed ? this.run() : null;
  }

  /** Ask the remote to cancel a run. */
  cancel(executionId: string): Promise<boolean> {
    return this._runs.cancel(executionId);
  }

  selectExecution(id: string | null): void {
    this._runs.select(id);
  }

  /**
   * Select a run once its notebook is the active one (at once if it is):
   * the "Show details" action of a notification.
   */
  showExecution(link: INotebookLink, executionId: string): void {
    this._runs.showExecution(link, executionId);
  }

  /** Load result.log (or another text output) of a run for display. */
  loadLog(executionId: string, name?: string): Promise<void> {
    return this._log.load(executionId, name);
  }

  /**
   * Fetch result.ipynb of a run, save it next to the local notebook under a
   * new name (never overwriting) and open it. Resolves the new path.
   */
  openResultNotebook(
    executionId: string,
    name = 'result.ipynb'
  ): Promise<string | null> {
    return this._results.open(executionId, name);
  }

  // ---------------------------------------------------------------- schedule

  /** Create or replace the schedule; resolves null, or the error to show. */
  saveSchedule(body: IScheduleBody): Promise<Error | null> {
    return this._schedule.save(body);
  }

  /** Pause (false) or resume (true) the schedule. */
  setScheduleActive(active: boolean): Promise<boolean> {
    return this._schedule.setActive(active);
  }

  removeSchedule(): Promise<boolean> {
    return this._schedule.remove();
  }

  // ---------------------------------------------------------------- private

  /** Drop what belongs to the previous link and load the new one. */
  private _onLinkChanged(): void {
    if (!this._link.notebook) {
      // The notebook was closed.
      this.chooser.reset();
    }
    this._remote.reset();
    this._runs.reset();
    this._usage.reset();
    this._schedule.reset();
    this._log.reset();
    this._context.activity.notice = null;
    this._context.errors.clear(...LINK_AREAS);
    const link = this.link;
    if (link) {
      this._connections.follow(link.connection);
    }
    this._linkChanged.emit();
    this.stateChanged.emit();
    this._refreshLinked();
  }

  /** The error of a panel's area, moved to the dialog that shows it. */
  private _refusal(area: ErrorArea): IShownError {
    const { errors, trans } = this._context;
    const error = errors.get(area) ?? {
      message: trans.__('Not started.'),
      reason: 'internal'
    };
    errors.clear(area);
    return error;
  }

  /**
   * After a run of `link`: a kind without run history (4pointx) says what
   * it has on the notebook (`runCount`, `lastRunAt`): read it again.
   */
  private _ran(link: INotebookLink): void {
    if (this._link.isLinkedTo(link) && !this.can('logs')) {
      void this._remote.load();
    }
  }

  private _refreshLinked(): void {
    if (this.link) {
      void this.refresh();
    }
  }

  private _context: IModelContext;
  private _settings: IRemoteSettings;
  private _connections: ConnectionModel;
  private _link: LinkModel;
  private _remote: RemoteNotebookModel;
  private _log: LogModel;
  private _runs: RunsModel;
  private _usage: UsageModel;
  private _push: PushModel;
  private _pull: PullModel;
  private _results: ResultNotebooks;
  private _schedule: ScheduleModel;
  private _contents: Contents.IManager | null;
  private _openTab: () => Window | null;
  private _connectionsChanged = new Signal<this, void>(this);
  private _linkChanged = new Signal<this, void>(this);
  private _runsChanged = new Signal<this, void>(this);
  private _usageChanged = new Signal<this, void>(this);
  private _activityChanged = new Signal<this, void>(this);
  private _runFinished = new Signal<this, IRunFinished>(this);
  private _scheduleChanged = new Signal<this, void>(this);
  private _runFailed = new Signal<this, IRunFinished>(this);
}

export namespace RemoteModel {
  export interface IOptions {
    api: RemoteNotebookApi;
    /** Where result notebooks are saved ("Open in JupyterLab"). */
    contents?: Contents.IManager;
    /** Opens a path in JupyterLab. */
    openPath?: (path: string) => void;
    settings?: Partial<IRemoteSettings>;
    trans?: TranslationBundle;
    /** The clock (tests pass a fixed one). */
    now?: () => number;
    /** Opens an empty tab for a live run (`window.open` by default). */
    openTab?: () => Window | null;
  }
}
