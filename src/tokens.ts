/**
 * What other parts of the application (and the UI tests) rely on: ids and
 * names, the settings, and the {@link INotebookRemote} service this
 * extension provides to other plugins.
 */
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import { IConnection, IExecution, INotebookLink, IUsage } from './types';

/** The plugin id; `schema/plugin.json` is this plugin's settings schema. */
export const PLUGIN_ID = 'jupyter-notebook-remote:plugin';

/** The id of the sidebar widget. */
export const PANEL_ID = 'notebook-remote-panel';

/** Translation domain of this extension's strings. */
export const TRANSLATION_DOMAIN = 'jupyter_notebook_remote';

/** The key of the link in the notebook's metadata (DESIGN.md). */
export const METADATA_KEY = 'notebook_remote';

/** The palette category of every command. */
export const PALETTE_CATEGORY = 'Remote Notebooks';

export namespace CommandIDs {
  export const push = 'notebook-remote:push';
  export const run = 'notebook-remote:run';
  export const runWithOptions = 'notebook-remote:run-with-options';
  export const pushAndRun = 'notebook-remote:push-and-run';
  export const cancel = 'notebook-remote:cancel';
  export const link = 'notebook-remote:link';
  export const openPanel = 'notebook-remote:open-panel';
  export const refresh = 'notebook-remote:refresh';
  export const unlink = 'notebook-remote:unlink';
  export const schedule = 'notebook-remote:schedule';
  export const openRuns = 'notebook-remote:open-runs';
  export const openRemoteCopy = 'notebook-remote:open-remote-copy';
  export const replaceWithRemote = 'notebook-remote:replace-with-remote';
  export const browserPush = 'notebook-remote:browser-push';
  export const browserRun = 'notebook-remote:browser-run';
  export const browserRunWithOptions =
    'notebook-remote:browser-run-with-options';
  export const browserOpenRuns = 'notebook-remote:browser-open-runs';
  export const browserLink = 'notebook-remote:browser-link';
}

/** The id of the "Remote runs" main-area view. */
export const RUNS_VIEW_ID = 'notebook-remote-runs';

/** The id of the status bar item. */
export const STATUS_ITEM_ID = 'jupyter-notebook-remote:status';

/** The user settings of `schema/plugin.json`. */
export interface IRemoteSettings {
  /** Milliseconds between status checks while a run is queued or running. */
  activeInterval: number;
  /** First interval (ms) between checks when nothing runs; it then doubles. */
  idleInterval: number;
  /** Longest interval (ms) between checks. */
  maxInterval: number;
  /** Ask before starting a run. */
  confirmBeforeRun: boolean;
  /** Days shown in the usage chart. */
  usageDays: number;
  /** Notify when a run started from this session finishes. */
  notifyOnFinish: boolean;
}

export const DEFAULT_SETTINGS: IRemoteSettings = {
  activeInterval: 2000,
  idleInterval: 30000,
  maxInterval: 120000,
  confirmBeforeRun: false,
  usageDays: 30,
  notifyOnFinish: true
};

/** Bring raw settings into range, falling back to the defaults. */
export function normalizeSettings(
  raw: Partial<{ [K in keyof IRemoteSettings]: unknown }>
): IRemoteSettings {
  const int = (value: unknown, fallback: number, min: number, max: number) =>
    typeof value === 'number' && isFinite(value)
      ? Math.min(max, Math.max(min, Math.round(value)))
      : fallback;
  const bool = (value: unknown, fallback: boolean) =>
    typeof value === 'boolean' ? value : fallback;
  const activeInterval = int(
    raw.activeInterval,
    DEFAULT_SETTINGS.activeInterval,
    500,
    600000
  );
  const idleInterval = int(
    raw.idleInterval,
    DEFAULT_SETTINGS.idleInterval,
    1000,
    3600000
  );
  const maxInterval = Math.max(
    activeInterval,
    idleInterval,
    int(raw.maxInterval, DEFAULT_SETTINGS.maxInterval, 1000, 3600000)
  );
  return {
    activeInterval,
    idleInterval,
    maxInterval,
    confirmBeforeRun: bool(
      raw.confirmBeforeRun,
      DEFAULT_SETTINGS.confirmBeforeRun
    ),
    usageDays: int(raw.usageDays, DEFAULT_SETTINGS.usageDays, 1, 366),
    notifyOnFinish: bool(raw.notifyOnFinish, DEFAULT_SETTINGS.notifyOnFinish)
  };
}

/** A run started from this session that finished. */
export interface IRunFinished {
  execution: IExecution;
  connection: string;
  notebookId: string;
  /** The name of the remote notebook when the run started. */
  notebookName: string;
}

/**
 * Remote runs of the active notebook, for other plugins: the connections,
 * the active notebook's link, its runs and usage, and a way to push and run.
 *
 * `push`, `run` and `cancel` act at once; the `notebook-remote:*` commands
 * ({@link CommandIDs}) ask the user's confirmation first where the panel
 * does.
 */
export interface INotebookRemote {
  /** The connections the server offers (none until they are loaded). */
  readonly connections: readonly IConnection[];
  /** Emitted when the connections, the picked one or a token state change. */
  readonly connectionsChanged: ISignal<INotebookRemote, void>;
  /** The link of the active notebook (null without one, or unlinked). */
  readonly link: INotebookLink | null;
  /** Emitted when another notebook becomes active, or its link changes. */
  readonly linkChanged: ISignal<INotebookRemote, void>;
  /** The runs of the linked notebook, newest first. */
  readonly executions: readonly IExecution[];
  /** Emitted when the runs are checked, a run starts or one is selected. */
  readonly runsChanged: ISignal<INotebookRemote, void>;
  /** The usage of the linked notebook, once loaded. */
  readonly usage: IUsage | null;
  /** Emitted when the usage is loaded or dropped. */
  readonly usageChanged: ISignal<INotebookRemote, void>;
  /** Emitted once when a run started from this session finishes. */
  readonly runFinished: ISignal<INotebookRemote, IRunFinished>;
  /** Save the active notebook and push it; resolves whether it worked. */
  push(): Promise<boolean>;
  /** Run what was last pushed; resolves the execution id, or null. */
  run(): Promise<string | null>;
  /** Push, then run if the push worked. */
  pushAndRun(): Promise<string | null>;
  /** Ask the remote to cancel a run; resolves whether it accepted. */
  cancel(executionId: string): Promise<boolean>;
  /** Check the linked notebook, its runs and usage now. */
  refresh(): Promise<void>;
}

/** The {@link INotebookRemote} service. */
export const INotebookRemote = new Token<INotebookRemote>(
  'jupyter-notebook-remote:INotebookRemote',
  'Remote runs of the active notebook: connections, link, runs, push and run.'
);
