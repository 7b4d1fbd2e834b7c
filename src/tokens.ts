/**
 * Names other parts of the application (and the UI tests) rely on.
 */
import { IExecution } from './types';

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
  export const pushAndRun = 'notebook-remote:push-and-run';
  export const cancel = 'notebook-remote:cancel';
  export const link = 'notebook-remote:link';
  export const openPanel = 'notebook-remote:open-panel';
  export const refresh = 'notebook-remote:refresh';
  export const unlink = 'notebook-remote:unlink';
}

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
