/**
 * The state of the Remote Notebooks panel, and the polling that keeps it live.
 *
 * Components render this model and call its methods; only the model (through
 * the REST client) talks to the server.
 *
 * Polling (`@lumino/polling`): while a run is queued, running or canceling,
 * the runs are checked every `activeInterval`; when nothing runs the interval
 * starts at `idleInterval` and doubles up to `maxInterval`; a failing check
 * backs off the same way. The poll stands by while the browser tab is hidden,
 * and while the panel is hidden unless a run started from this session is
 * still going (its end must still be noticed to be announced).
 */
import { VDomModel } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { CLIENT_REASONS, RemoteApiError, RemoteNotebookApi } from './api';
import { baseName, dirName, INotebookHandle, stem } from './notebook';
import { DEFAULT_SETTINGS, IRemoteSettings, METADATA_KEY } from './tokens';
import {
  Capability,
  IConnection,
  IExecution,
  INotebookLink,
  IRemoteNotebook,
  isActiveStatus,
  isFinishedStatus,
  IUsage
} from './types';

/** Where an error is shown in the panel. */
export type ErrorArea =
  | 'connections'
  | 'token'
  | 'link'
  | 'notebook'
  | 'actions'
  | 'runs'
  | 'usage'
  | 'details';

/** The areas in the order the panel shows them, top to bottom. */
const DISPLAY_ORDER: ErrorArea[] = [
  'connections',
  'token',
  'link',
  'actions',
  'runs',
  'details',
  'usage',
  'notebook'
];

/** An error to show, in the server's words. */
export interface IShownError {
  message: string;
  reason: string;
  fields?: { [field: string]: string };
}

/** Progress of a push, for the progress line in the panel. */
export interface IPushProgress {
  stage: 'saving' | 'uploading';
  /** Size in bytes of the file being pushed, when known. */
  size: number | null;
  /** When the push started (ms since epoch). */
  startedAt: number;
}

/** The inline chooser of a remote notebook to link. */
export interface IChooserState {
  filter: string;
  loading: boolean;
  items: IRemoteNotebook[];
  totalCount: number;
}

/** A run this session started, watched until it finishes. */
interface IWatchedRun {
  connection: string;
  notebookId: string;
  notebookName: string;
}

/** A finished run this session started, for the notification. */
export interface IRunFinished {
  execution: IExecution;
  connection: string;
  notebookId: string;
  notebookName: string;
}

/** What the panel knows of the last push of a local file. */
interface IPushRecord {
  notebookId: string;
  lastModified: string | null;
}

/** Email addresses the input export accepts (the server's rule). */
export const EMAIL_PATTERN = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$/;

const DAY_MS = 24 * 60 * 60 * 1000;

export class RemoteModel extends VDomModel {
  constructor(options: RemoteModel.IOptions) {
    super();
    this._api = options.api;
    this._contents = options.contents ?? null;
    this._openPath = options.openPath ?? null;
    this._now = options.now ?? (() => Date.now());
    this._trans =
      options.trans ?? nullTranslator.load('jupyter_notebook_remote');
    this._settings = { ...DEFAULT_SETTINGS, ...(options.settings ?? {}) };
    this._poll = new Poll<void, unknown, 'standby'>({
      auto: false,
      factory: () => this._tick(),
      frequency: {
        interval: this._settings.idleInterval,
        backoff: 2,
        max: this._settings.maxInterval
      },
      name: 'jupyter-notebook-remote:runs',
      standby: () => this._standby()
    });
    this._searchDebouncer = new Debouncer(() => this._searchNow(), 300);
  }

  // ---------------------------------------------------------------- read-only state

  get api(): RemoteNotebookApi {
    return this._api;
  }

  get settings(): IRemoteSettings {
    return this._settings;
  }

  /** The poll (exposed for tests and diagnostics). */
  get poll(): Poll<void, unknown, 'standby'> {
    return this._poll;
  }

  get connections(): readonly IConnection[] {
    return this._connections;
  }

  get connectionsLoaded(): boolean {
    return this._connectionsLoaded;
  }

  /** True when the server extension does not answer at all. */
  get extensionMissing(): boolean {
    return this._extensionMissing;
  }

  get connectionId(): string | null {
    return this._connectionId;
  }

  get connection(): IConnection | null {
    return this._connections.find(c => c.id === this._connectionId) ?? null;
  }

  get notebook(): INotebookHandle | null {
    return this._notebook;
  }

  get link(): INotebookLink | null {
    return this._notebook?.getLink() ?? null;
  }

  /** The connection of the linked notebook (may differ from the picker's). */
  get linkConnection(): IConnection | null {
    const link = this.link;
    return link
      ? (this._connections.find(c => c.id === link.connection) ?? null)
      : null;
  }

  get remoteNotebook(): IRemoteNotebook | null {
    return this._remoteNotebook;
  }

  get executions(): readonly IExecution[] {
    return this._executions;
  }

  get runsLoaded(): boolean {
    return this._runsLoaded;
  }

  get selectedExecutionId(): string | null {
    return this._selectedExecutionId;
  }

  get selectedExecution(): IExecution | null {
    return (
      this._executions.find(e => e.id === this._selectedExecutionId) ?? null
    );
  }

  /** The run Cancel acts on: the selected one if it is going, else the newest going. */
  get cancelTarget(): IExecution | null {
    const selected = this.selectedExecution;
    if (selected && isActiveStatus(selected.status)) {
      return selected.status === 'canceling' ? null : selected;
    }
    return (
      this._executions.find(
        e => isActiveStatus(e.status) && e.status !== 'canceling'
      ) ?? null
    );
  }

  get hasActiveRun(): boolean {
    return this._executions.some(e => isActiveStatus(e.status));
  }

  get usage(): IUsage | null {
    return this._usage;
  }

  get chooser(): IChooserState | null {
    return this._chooser;
  }

  get pushProgress(): IPushProgress | null {
    return this._pushProgress;
  }

  /** Actions in flight ('push', 'run', 'cancel', 'token', 'link', 'rename', 'export'). */
  isBusy(action: string): boolean {
    return this._busy.has(action);
  }

  error(area: ErrorArea): IShownError | null {
    return this._errors.get(area) ?? null;
  }

  /**
   * The error to show in an area: none when a part shown above it already
   * says the same thing (a refused token fails every call at once).
   */
  shownError(area: ErrorArea): IShownError | null {
    const error = this._errors.get(area);
    if (!error) {
      return null;
    }
    for (const other of DISPLAY_ORDER) {
      if (other === area) {
        break;
      }
      const shown = this._errors.get(other);
      if (
        shown &&
        shown.reason === error.reason &&
        shown.message === error.message
      ) {
        return null;
      }
    }
    return error;
  }

  /** A short confirmation of the last action (e.g. "Export queued"). */
  get notice(): string | null {
    return this._notice;
  }

  /** The text of result.log of the selected run, once loaded. */
  get log(): { executionId: string; name: string; text: string } | null {
    return this._log;
  }

  /** Whether the connection can do `capability`. */
  can(capability: Capability, connection = this.linkConnection): boolean {
    return !!connection && connection.capabilities.includes(capability);
  }

  /** Why the connection cannot do `capability` (null when it can). */
  whyNot(
    capability: Capability,
    connection = this.linkConnection
  ): string | null {
    if (!connection) {
      return null;
    }
    if (connection.capabilities.includes(capability)) {
      return null;
    }
    return (
      connection.unsupported?.[capability] ??
      this._trans.__(
        '%1 (%2) does not offer this.',
        connection.label || connection.id,
        connection.kind
      )
    );
  }

  /** Whether the connection's kind uses a token at all. */
  needsToken(connection = this.connection): boolean {
    return connection?.needsToken ?? false;
  }

  /**
   * Whether the local file may differ from what was last pushed: it has
   * unsaved changes, or it was saved after the push this session recorded
   * (or, with no record, after the remote notebook was last updated).
   */
  get localChangedSincePush(): boolean {
    const notebook = this._notebook;
    const link = this.link;
    if (!notebook || !link) {
      return false;
    }
    if (notebook.dirty) {
      return true;
    }
    const record = this._pushes.get(notebook.path);
    if (record && record.notebookId === link.notebookId) {
      return record.lastModified !== notebook.lastModified;
    }
    const remoteUpdated = Date.parse(this._remoteNotebook?.updatedAt ?? '');
    const localModified = Date.parse(notebook.lastModified ?? '');
    if (isNaN(remoteUpdated) || isNaN(localModified)) {
      return false;
    }
    return localModified > remoteUpdated + 1000;
  }

  // ---------------------------------------------------------------- life cycle

  /** Load the connections and start polling. */
  async start(): Promise<void> {
    await this.loadConnections();
    // A notebook followed before the connections were known could not load
    // what depends on its connection's capabilities (usage): load it now.
    this._refreshLinked();
    void this._poll.start();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._searchDebouncer.dispose();
    this._notebook?.changed.disconnect(this._onNotebookChanged, this);
    super.dispose();
    Signal.clearData(this);
  }

  /** Emitted once when a run started from this session finishes. */
  get runFinished(): ISignal<this, IRunFinished> {
    return this._runFinished;
  }

  /** Apply new settings (intervals take effect at the next check). */
  updateSettings(settings: IRemoteSettings): void {
    const usageChanged = settings.usageDays !== this._settings.usageDays;
    this._settings = settings;
    this._applyFrequency();
    if (usageChanged) {
      void this.loadUsage();
    }
    this.stateChanged.emit();
  }

  /** Tell the model whether the panel is visible (hidden panels stand by). */
  setVisible(visible: boolean): void {
    if (this._visible === visible) {
      return;
    }
    this._visible = visible;
    if (visible && !this._poll.isDisposed) {
      this._idleTicks = 0;
      this._applyFrequency();
      void this._poll.refresh();
    }
  }

  get visible(): boolean {
    return this._visible;
  }

  // ---------------------------------------------------------------- connections

  async loadConnections(): Promise<void> {
    try {
      const list = await this._api.listConnections();
      this._connections = list.connections;
      this._extensionMissing = false;
      this._connectionsLoaded = true;
      this._clearError('connections');
      const known = (id: string | null) =>
        !!id && list.connections.some(c => c.id === id);
      const linked = this.link?.connection ?? null;
      if (!known(this._connectionId)) {
        this._connectionId = known(linked)
          ? linked
          : known(list.default)
            ? list.default
            : (list.connections[0]?.id ?? null);
      }
    } catch (error) {
      this._connectionsLoaded = true;
      this._extensionMissing = RemoteApiError.hasReason(
        error,
        CLIENT_REASONS.extensionMissing
      );
      this._setError('connections', error);
    }
    this.stateChanged.emit();
  }

  selectConnection(id: string): void {
    if (id === this._connectionId) {
      return;
    }
    this._connectionId = id;
    this._clearError('token');
    this._chooser = null;
    this.stateChanged.emit();
  }

  async setToken(token: string): Promise<boolean> {
    const connection = this._connectionId;
    const value = token.trim();
    if (!connection) {
      return false;
    }
    if (!value) {
      this._errors.set('token', {
        message: this._trans.__('Enter a token first.'),
        reason: 'invalid_input'
      });
      this.stateChanged.emit();
      return false;
    }
    const ok = await this._act('token', 'token', () =>
      this._api.setToken(connection, value)
    );
    if (ok) {
      await this.loadConnections();
      this._refreshLinked();
    }
    return ok;
  }

  async forgetToken(): Promise<boolean> {
    const connection = this._connectionId;
    if (!connection) {
      return false;
    }
    const ok = await this._act('token', 'token', () =>
      this._api.forgetToken(connection)
    );
    if (ok) {
      await this.loadConnections();
    }
    return ok;
  }

  // ---------------------------------------------------------------- active notebook

  /** Follow another notebook (or none). */
  setNotebook(notebook: INotebookHandle | null): void {
    if (notebook === this._notebook) {
      return;
    }
    this._notebook?.changed.disconnect(this._onNotebookChanged, this);
    this._notebook = notebook;
    notebook?.changed.connect(this._onNotebookChanged, this);
    this._linkKey = this._currentLinkKey();
    this._chooser = null;
    this._onLinkChanged();
  }

  private _onNotebookChanged(): void {
    if (this._notebook?.isDisposed) {
      this.setNotebook(null);
      return;
    }
    const key = this._currentLinkKey();
    if (key !== this._linkKey) {
      this._linkKey = key;
      this._onLinkChanged();
    } else {
      this.stateChanged.emit();
    }
  }

  private _currentLinkKey(): string {
    const link = this._notebook?.getLink();
    return link ? `${link.connection}/${link.notebookId}` : '';
  }

  /** Reset what belongs to the previous link and load the new one. */
  private _onLinkChanged(): void {
    this._generation++;
    this._remoteNotebook = null;
    this._executions = [];
    this._runsLoaded = false;
    this._selectedExecutionId = null;
    this._usage = null;
    this._log = null;
    this._notice = null;
    for (const area of [
      'link',
      'notebook',
      'actions',
      'runs',
      'usage',
      'details'
    ] as ErrorArea[]) {
      this._errors.delete(area);
    }
    const link = this.link;
    if (link && this._connections.some(c => c.id === link.connection)) {
      this._connectionId = link.connection;
    }
    const pending = this._pendingSelection;
    if (
      pending &&
      link &&
      pending.connection === link.connection &&
      pending.notebookId === link.notebookId
    ) {
      this._selectedExecutionId = pending.executionId;
      this._pendingSelection = null;
    }
    this.stateChanged.emit();
    this._refreshLinked();
  }

  /**
   * Select a run once its notebook is the active one (at once if it is):
   * the "Show details" action of a notification.
   */
  showExecution(
    connection: string,
    notebookId: string,
    executionId: string
  ): void {
    const link = this.link;
    if (
      link &&
      link.connection === connection &&
      link.notebookId === notebookId
    ) {
      this._pendingSelection = null;
      this.selectExecution(executionId);
    } else {
      this._pendingSelection = { connection, notebookId, executionId };
    }
  }

  /** Reload everything about the linked notebook and check runs now. */
  refresh(): Promise<void> {
    this._idleTicks = 0;
    this._applyFrequency();
    const done = this._loadRemoteNotebook();
    void this.loadUsage();
    void this._poll.refresh();
    return done;
  }

  private _refreshLinked(): void {
    if (this.link) {
      void this.refresh();
    }
  }

  private async _loadRemoteNotebook(): Promise<void> {
    const link = this.link;
    if (!link || this._extensionMissing) {
      return;
    }
    const generation = this._generation;
    try {
      const notebook = await this._api.getNotebook(
        link.connection,
        link.notebookId
      );
      if (generation === this._generation) {
        this._remoteNotebook = notebook;
        this._clearError('notebook');
      }
    } catch (error) {
      if (generation === this._generation) {
        this._setError('notebook', error);
      }
    }
    this.stateChanged.emit();
  }

  // ---------------------------------------------------------------- linking

  /** Open the inline chooser and list the connection's remote notebooks. */
  openChooser(): void {
    if (!this._notebook) {
      return;
    }
    this._chooser = { filter: '', loading: true, items: [], totalCount: 0 };
    this._clearError('link');
    this.stateChanged.emit();
    void this._searchNow();
  }

  closeChooser(): void {
    this._chooser = null;
    this._clearError('link');
    this.stateChanged.emit();
  }

  /** Change the search text of the chooser (the list follows shortly). */
  setChooserFilter(filter: string): void {
    if (!this._chooser) {
      return;
    }
    this._chooser = { ...this._chooser, filter, loading: true };
    this.stateChanged.emit();
    void this._searchDebouncer.invoke();
  }

  private async _searchNow(): Promise<void> {
    const chooser = this._chooser;
    const connection = this._connectionId;
    if (!chooser || !connection) {
      return;
    }
    const filter = chooser.filter.trim();
    try {
      const page = await this._api.listNotebooks(connection, {
        filter: filter || undefined,
        perPage: 50
      });
      if (this._chooser && this._chooser.filter.trim() === filter) {
        this._chooser = {
          ...this._chooser,
          loading: false,
          items: page.items,
          totalCount: page.totalCount
        };
        this._clearError('link');
      }
    } catch (error) {
      if (this._chooser) {
        this._chooser = { ...this._chooser, loading: false };
      }
      this._setError('link', error);
    }
    this.stateChanged.emit();
  }

  /** Link the active notebook to an existing remote notebook. */
  linkTo(notebook: IRemoteNotebook): void {
    const connection = this._connectionId;
    if (!this._notebook || !connection) {
      return;
    }
    this._chooser = null;
    this._notebook.setLink({ connection, notebookId: notebook.id });
    // The metadata change re-targets the model; keep what we already know.
    if (this.link?.notebookId === notebook.id) {
      this._remoteNotebook = notebook;
      this.stateChanged.emit();
    }
  }

  /** Create a remote notebook and link the active notebook to it. */
  async createAndLink(name: string): Promise<boolean> {
    const connection = this._connectionId;
    const value = name.trim();
    if (!this._notebook || !connection) {
      return false;
    }
    if (!value) {
      this._errors.set('link', {
        message: this._trans.__('Give the new remote notebook a name.'),
        reason: 'invalid_input',
        fields: { name: 'is required' }
      });
      this.stateChanged.emit();
      return false;
    }
    let created: IRemoteNotebook | null = null;
    const ok = await this._act('link', 'link', async () => {
      created = await this._api.createNotebook(connection, { name: value });
    });
    if (ok && created) {
      this.linkTo(created);
    }
    return ok;
  }

  /** Remove the link from the notebook's metadata. */
  unlink(): void {
    this._notebook?.setLink(null);
  }

  /** Default name of a new remote notebook: the file name without .ipynb. */
  get defaultRemoteName(): string {
    return this._notebook ? stem(this._notebook.path) : '';
  }

  // ---------------------------------------------------------------- actions

  /** Save the notebook, then push the saved file. */
  async push(): Promise<boolean> {
    const notebook = this._notebook;
    const link = this.link;
    if (!notebook || !link || this._busy.has('push')) {
      return false;
    }
    this._notice = null;
    this._pushProgress = {
      stage: 'saving',
      size: notebook.size,
      startedAt: this._now()
    };
    const generation = this._generation;
    const ok = await this._act('push', 'actions', async () => {
      await notebook.save();
      if (this._pushProgress) {
        this._pushProgress = {
          ...this._pushProgress,
          stage: 'uploading',
          size: notebook.size
        };
        this.stateChanged.emit();
      }
      const remote = await this._api.push(
        link.connection,
        link.notebookId,
        notebook.path
      );
      this._pushes.set(notebook.path, {
        notebookId: link.notebookId,
        lastModified: notebook.lastModified
      });
      if (generation === this._generation) {
        this._remoteNotebook = remote;
      }
    });
    this._pushProgress = null;
    if (ok) {
      this._notice = this._trans.__('Pushed %1.', baseName(notebook.path));
    }
    this.stateChanged.emit();
    return ok;
  }

  /** Start a run of what was last pushed. */
  async run(): Promise<string | null> {
    const link = this.link;
    if (!link || this._busy.has('run')) {
      return null;
    }
    const notebookName =
      this._remoteNotebook?.name ??
      (this._notebook ? baseName(this._notebook.path) : link.notebookId);
    let executionId: string | null = null;
    this._notice = null;
    const ok = await this._act('run', 'actions', async () => {
      const started = await this._api.execute(
        link.connection,
        link.notebookId,
        {}
      );
      executionId = started.executionId;
    });
    if (ok && executionId) {
      this._watched.set(executionId, {
        connection: link.connection,
        notebookId: link.notebookId,
        notebookName
      });
      this._selectedExecutionId = executionId;
      this._idleTicks = 0;
      this._applyFrequency(true);
      void this._poll.refresh();
    }
    this.stateChanged.emit();
    return executionId;
  }

  /** Push, then run if the push worked. */
  async pushAndRun(): Promise<string | null> {
    const pushed = await this.push();
    return pushed ? this.run() : null;
  }

  /** Ask the remote to cancel a run. */
  async cancel(executionId: string): Promise<boolean> {
    const link = this.link;
    if (!link || this._busy.has('cancel')) {
      return false;
    }
    const ok = await this._act('cancel', 'actions', () =>
      this._api.cancelExecution(link.connection, link.notebookId, executionId)
    );
    if (ok) {
      this._executions = this._executions.map(e =>
        e.id === executionId && isActiveStatus(e.status)
          ? { ...e, status: 'canceling' }
          : e
      );
      this._idleTicks = 0;
      this._applyFrequency(true);
      void this._poll.refresh();
    }
    this.stateChanged.emit();
    return ok;
  }

  selectExecution(id: string | null): void {
    if (id === this._selectedExecutionId) {
      return;
    }
    this._selectedExecutionId = id;
    this._clearError('details');
    if (this._log && this._log.executionId !== id) {
      this._log = null;
    }
    this.stateChanged.emit();
  }

  /** Load result.log (or another text output) of a run for display. */
  async loadLog(executionId: string, name = 'result.log'): Promise<void> {
    const link = this.link;
    if (!link) {
      return;
    }
    await this._act('log', 'details', async () => {
      const text = await this._api.fetchExecutionFile(
        link.connection,
        link.notebookId,
        executionId,
        name
      );
      this._log = { executionId, name, text };
      const execution = this._executions.find(e => e.id === executionId);
      if (execution && isActiveStatus(execution.status)) {
        this._logLive.add(executionId);
      }
    });
    this.stateChanged.emit();
  }

  /**
   * Fetch result.ipynb of a run, save it next to the local notebook under a
   * new name (never overwriting) and open it. Returns the new path.
   */
  async openResultNotebook(
    executionId: string,
    name = 'result.ipynb'
  ): Promise<string | null> {
    const link = this.link;
    const notebook = this._notebook;
    const contents = this._contents;
    if (!link || !notebook || !contents) {
      return null;
    }
    let saved: string | null = null;
    await this._act('open-result', 'details', async () => {
      const text = await this._api.fetchExecutionFile(
        link.connection,
        link.notebookId,
        executionId,
        name
      );
      let content: unknown;
      try {
        content = JSON.parse(text);
      } catch {
        throw new RemoteApiError({
          message: this._trans.__(
            '%1 of this run is not a readable notebook.',
            name
          ),
          status: 200,
          reason: CLIENT_REASONS.badResponse
        });
      }
      // The copy is a result, not a second source of the remote notebook:
      // it must not carry the link (a push from it would replace the source).
      const metadata = (content as { metadata?: { [key: string]: unknown } })
        ?.metadata;
      if (metadata && typeof metadata === 'object') {
        delete metadata[METADATA_KEY];
      }
      const path = await this._freePath(
        dirName(notebook.path),
        `${stem(notebook.path)}.result-${executionId.slice(0, 6)}`,
        '.ipynb'
      );
      await contents.save(path, {
        type: 'notebook',
        format: 'json',
        content
      });
      saved = path;
    });
    if (saved && this._openPath) {
      this._openPath(saved);
    }
    this.stateChanged.emit();
    return saved;
  }

  private async _freePath(
    folder: string,
    base: string,
    extension: string
  ): Promise<string> {
    const contents = this._contents!;
    const join = (name: string) => (folder ? `${folder}/${name}` : name);
    for (let i = 0; i < 1000; i++) {
      const candidate = join(
        i === 0 ? `${base}${extension}` : `${base}-${i}${extension}`
      );
      try {
        await contents.get(candidate, { content: false });
      } catch {
        return candidate;
      }
    }
    throw new RemoteApiError({
      message: this._trans.__(
        'Too many result files named %1-*%2 already exist in this folder.',
        base,
        extension
      ),
      status: 409,
      reason: 'conflict'
    });
  }

  /** Rename the remote notebook. */
  async rename(name: string): Promise<boolean> {
    const link = this.link;
    const value = name.trim();
    if (!link) {
      return false;
    }
    if (!value) {
      this._errors.set('notebook', {
        message: this._trans.__('The name cannot be empty.'),
        reason: 'invalid_input',
        fields: { name: 'is required' }
      });
      this.stateChanged.emit();
      return false;
    }
    const ok = await this._act('rename', 'notebook', async () => {
      this._remoteNotebook = await this._api.updateNotebook(
        link.connection,
        link.notebookId,
        { name: value }
      );
    });
    this.stateChanged.emit();
    return ok;
  }

  /** Ask the remote to email an export of the notebook's input data. */
  async requestInputExport(email: string): Promise<boolean> {
    const link = this.link;
    const value = email.trim();
    if (!link) {
      return false;
    }
    if (value && !EMAIL_PATTERN.test(value)) {
      this._errors.set('notebook', {
        message: this._trans.__(
          '"%1" is not an email address (name@example.com).',
          value
        ),
        reason: 'invalid_input',
        fields: { email: 'is not an email address' }
      });
      this.stateChanged.emit();
      return false;
    }
    this._notice = null;
    let jobId = '';
    const ok = await this._act('export', 'notebook', async () => {
      const job = await this._api.inputExport(
        link.connection,
        link.notebookId,
        value ? { email: value } : {}
      );
      jobId = job.jobId;
    });
    if (ok) {
      this._notice = value
        ? this._trans.__(
            'Input data export queued (job %1); a link will be emailed to %2.',
            jobId,
            value
          )
        : this._trans.__('Input data export queued (job %1).', jobId);
    }
    this.stateChanged.emit();
    return ok;
  }

  /** Load the usage of the linked notebook over the configured range. */
  async loadUsage(): Promise<void> {
    const link = this.link;
    const connection = this.linkConnection;
    if (!link || !connection || !this.can('usage', connection)) {
      return;
    }
    const generation = this._generation;
    const end = this._now();
    const today = Math.floor(end / DAY_MS) * DAY_MS;
    const start = today - (this._settings.usageDays - 1) * DAY_MS;
    try {
      const usage = await this._api.usage(link.connection, link.notebookId, {
        start,
        end
      });
      if (generation === this._generation) {
        this._usage = usage;
        this._clearError('usage');
      }
    } catch (error) {
      if (generation === this._generation) {
        this._setError('usage', error);
      }
    }
    this.stateChanged.emit();
  }

  dismissNotice(): void {
    this._notice = null;
    this.stateChanged.emit();
  }

  // ---------------------------------------------------------------- polling

  private _standby(): boolean | Poll.Standby {
    if (this._visible || this._watched.size > 0) {
      return 'when-hidden';
    }
    return true;
  }

  /** Pick the next interval from what is going on. */
  private _applyFrequency(active = this._isActive()): void {
    if (this._poll.isDisposed) {
      return;
    }
    const { activeInterval, idleInterval, maxInterval } = this._settings;
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
    return this.hasActiveRun || this._watched.size > 0;
  }

  /** One poll tick: check the runs of the linked notebook and watched runs. */
  private async _tick(): Promise<void> {
    const link = this.link;
    const generation = this._generation;
    let failure: unknown = null;
    if (link && !this._extensionMissing) {
      try {
        const items = await this._api.listExecutions(
          link.connection,
          link.notebookId,
          { limit: 20 }
        );
        if (generation === this._generation) {
          this._updateExecutions(items);
          this._clearError('runs');
          await this._followLog(items);
        }
        this._checkWatched(link.connection, link.notebookId, items);
      } catch (error) {
        failure = error;
        if (generation === this._generation) {
          this._runsLoaded = true;
          this._setError('runs', error);
        }
      }
    }
    // Runs this session started on other notebooks than the shown one.
    const others = new Map<string, IWatchedRun>();
    for (const watched of this._watched.values()) {
      if (
        !link ||
        watched.connection !== link.connection ||
        watched.notebookId !== link.notebookId
      ) {
        others.set(`${watched.connection}/${watched.notebookId}`, watched);
      }
    }
    for (const watched of others.values()) {
      try {
        const items = await this._api.listExecutions(
          watched.connection,
          watched.notebookId,
          { limit: 20 }
        );
        this._checkWatched(watched.connection, watched.notebookId, items);
      } catch {
        // The shown notebook's errors are reported; a background check that
        // fails is simply tried again at the next tick.
      }
    }
    const active = this._isActive();
    this._idleTicks = active ? 0 : this._idleTicks + 1;
    this._applyFrequency(active);
    this.stateChanged.emit();
    if (failure instanceof RemoteApiError && failure.retryAfter !== undefined) {
      // The server said when to come back (429 Retry-After): wait that long.
      const { activeInterval, maxInterval } = this._settings;
      const wait = Math.min(
        Math.max(maxInterval, activeInterval),
        Math.max(activeInterval, Math.round(failure.retryAfter * 1000))
      );
      this._poll.frequency = {
        ...this._poll.frequency,
        interval: wait,
        max: Math.max(this._poll.frequency.max, wait)
      };
      return;
    }
    if (failure) {
      throw failure;
    }
  }

  /** Keep a shown log current while its run is going (and once at its end). */
  private async _followLog(items: IExecution[]): Promise<void> {
    const log = this._log;
    const link = this.link;
    if (!log || !link) {
      return;
    }
    const current = items.find(e => e.id === log.executionId);
    if (!current || !this._logLive.has(log.executionId)) {
      return;
    }
    if (isFinishedStatus(current.status)) {
      this._logLive.delete(log.executionId);
    }
    try {
      const text = await this._api.fetchExecutionFile(
        link.connection,
        link.notebookId,
        log.executionId,
        log.name
      );
      if (this._log?.executionId === log.executionId) {
        this._log = { ...log, text };
      }
    } catch {
      // The log may not exist yet; the next tick tries again.
    }
  }

  private _updateExecutions(items: IExecution[]): void {
    const before = new Map(this._executions.map(e => [e.id, e.status]));
    const finishedNow = items.some(
      e =>
        isFinishedStatus(e.status) &&
        before.has(e.id) &&
        !isFinishedStatus(before.get(e.id)!)
    );
    this._executions = items;
    this._runsLoaded = true;
    if (finishedNow) {
      void this.loadUsage();
      void this._loadRemoteNotebook();
    }
  }

  private _checkWatched(
    connection: string,
    notebookId: string,
    items: IExecution[]
  ): void {
    for (const execution of items) {
      const watched = this._watched.get(execution.id);
      if (
        watched &&
        watched.connection === connection &&
        watched.notebookId === notebookId &&
        isFinishedStatus(execution.status)
      ) {
        this._watched.delete(execution.id);
        this._runFinished.emit({
          execution,
          connection,
          notebookId,
          notebookName: watched.notebookName
        });
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private async _act(
    action: string,
    area: ErrorArea,
    work: () => Promise<unknown>
  ): Promise<boolean> {
    this._busy.add(action);
    this._clearError(area);
    this.stateChanged.emit();
    try {
      await work();
      return true;
    } catch (error) {
      this._setError(area, error);
      return false;
    } finally {
      this._busy.delete(action);
      this.stateChanged.emit();
    }
  }

  private _setError(area: ErrorArea, error: unknown): void {
    if (error instanceof RemoteApiError) {
      this._errors.set(area, {
        message: error.message,
        reason: error.reason,
        fields: error.fields
      });
    } else {
      this._errors.set(area, {
        message: error instanceof Error ? error.message : String(error),
        reason: 'internal'
      });
    }
  }

  private _clearError(area: ErrorArea): void {
    this._errors.delete(area);
  }

  private _api: RemoteNotebookApi;
  private _contents: Contents.IManager | null;
  private _openPath: ((path: string) => void) | null;
  private _now: () => number;
  private _trans: TranslationBundle;
  private _settings: IRemoteSettings;
  private _poll: Poll<void, unknown, 'standby'>;
  private _searchDebouncer: Debouncer;
  private _visible = false;
  private _idleTicks = 0;
  private _generation = 0;
  private _connections: IConnection[] = [];
  private _connectionsLoaded = false;
  private _extensionMissing = false;
  private _connectionId: string | null = null;
  private _notebook: INotebookHandle | null = null;
  private _linkKey = '';
  private _remoteNotebook: IRemoteNotebook | null = null;
  private _executions: IExecution[] = [];
  private _runsLoaded = false;
  private _selectedExecutionId: string | null = null;
  private _usage: IUsage | null = null;
  private _chooser: IChooserState | null = null;
  private _pushProgress: IPushProgress | null = null;
  private _busy = new Set<string>();
  private _errors = new Map<ErrorArea, IShownError>();
  private _notice: string | null = null;
  private _log: { executionId: string; name: string; text: string } | null =
    null;
  private _logLive = new Set<string>();
  private _pushes = new Map<string, IPushRecord>();
  private _watched = new Map<string, IWatchedRun>();
  private _runFinished = new Signal<this, IRunFinished>(this);
  private _pendingSelection: {
    connection: string;
    notebookId: string;
    executionId: string;
  } | null = null;
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
  }
}
