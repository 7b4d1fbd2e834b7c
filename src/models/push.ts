/**
 * Pushing the active notebook: save it, send the saved file, and remember
 * what was pushed to tell whether the local file changed since.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { baseName } from '../notebook';
import { IFolderCarried, IPushWarning } from '../types';
import { IModelContext } from './context';
import { LinkModel } from './link';
import { RemoteNotebookModel } from './remote';

/** Progress of a push, for the progress line in the panel. */
export interface IPushProgress {
  stage: 'saving' | 'uploading';
  /** Size in bytes of the file being pushed, when known. */
  size: number | null;
  /** When the push started (ms since epoch). */
  startedAt: number;
}

/** What the panel knows of the last push of a local file. */
interface IPushRecord {
  notebookId: string;
  lastModified: string | null;
  /** What the server's notebook check noticed (pushed all the same). */
  warnings: IPushWarning[];
  /** What the push carried from beside the notebook, if anything. */
  folder: IFolderCarried | null;
}

export class PushModel {
  constructor(options: PushModel.IOptions) {
    this._context = options.context;
    this._link = options.link;
    this._remote = options.remote;
  }

  /** Emitted when a push moves on to its next stage or ends. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The push going on, or null. */
  get progress(): IPushProgress | null {
    return this._progress;
  }

  /**
   * The warnings of the last push of the active notebook to its linked
   * remote notebook in this session: where it departs from nbformat's
   * schema in ways JupyterLab tolerates. Empty while a push goes on.
   */
  get warnings(): IPushWarning[] {
    return this._lastPush()?.warnings ?? [];
  }

  /**
   * What the last push of the active notebook in this session carried from
   * beside it (a connection that runs it with its folder); null otherwise.
   */
  get folder(): IFolderCarried | null {
    return this._lastPush()?.folder ?? null;
  }

  /**
   * Whether the local file may differ from what was last pushed: it has
   * unsaved changes, or it was saved after the push this session recorded
   * (or, with no record, after the remote notebook was last updated).
   */
  get localChangedSincePush(): boolean {
    const notebook = this._link.notebook;
    const link = this._link.link;
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
    const remoteUpdated = Date.parse(this._remote.notebook?.updatedAt ?? '');
    const localModified = Date.parse(notebook.lastModified ?? '');
    if (isNaN(remoteUpdated) || isNaN(localModified)) {
      return false;
    }
    return localModified > remoteUpdated + 1000;
  }

  /** Save the notebook, then push the saved file. */
  async push(): Promise<boolean> {
    const notebook = this._link.notebook;
    const link = this._link.link;
    const { api, activity, now, trans } = this._context;
    if (!notebook || !link || activity.isBusy('push')) {
      return false;
    }
    activity.notice = null;
    this._setProgress({
      stage: 'saving',
      size: notebook.size,
      startedAt: now()
    });
    const generation = this._link.generation;
    const ok = await activity.run('push', 'actions', async () => {
      await notebook.save();
      if (this._progress) {
        this._setProgress({
          ...this._progress,
          stage: 'uploading',
          size: notebook.size
        });
      }
      const remote = await api.push(
        link.connection,
        link.notebookId,
        notebook.path,
        link.folder
      );
      this._pushes.set(notebook.path, {
        notebookId: link.notebookId,
        lastModified: notebook.lastModified,
        warnings: remote.warnings ?? [],
        folder: remote.folder ?? null
      });
      if (generation === this._link.generation) {
        this._remote.set(remote);
      }
    });
    this._setProgress(null);
    if (ok) {
      activity.notice = trans.__('Pushed %1.', baseName(notebook.path));
    }
    return ok;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _lastPush(): IPushRecord | null {
    const notebook = this._link.notebook;
    const link = this._link.link;
    const record = notebook ? this._pushes.get(notebook.path) : undefined;
    if (this._progress || !link || record?.notebookId !== link.notebookId) {
      return null;
    }
    return record;
  }

  private _setProgress(progress: IPushProgress | null): void {
    this._progress = progress;
    this._changed.emit();
  }

  private _context: IModelContext;
  private _link: LinkModel;
  private _remote: RemoteNotebookModel;
  private _progress: IPushProgress | null = null;
  private _pushes = new Map<string, IPushRecord>();
  private _changed = new Signal<this, void>(this);
}

export namespace PushModel {
  export interface IOptions {
    context: IModelContext;
    link: LinkModel;
    remote: RemoteNotebookModel;
  }
}
