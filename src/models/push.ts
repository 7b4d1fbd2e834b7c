/**
 * Pushing the active notebook: save it, send the saved file, and remember
 * what was pushed to tell whether the local file changed since.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteApiError } from '../api';
import { baseName } from '../notebook';
import { IFolderCarried, INotebookLink, IPushWarning } from '../types';
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

const seenKey = (path: string, link: INotebookLink) =>
  `${link.connection}/${link.notebookId}/${path}`;

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

  /**
   * Save the notebook, then push the saved file. Unless `overwrite`, a
   * remote changed since the link's last push or pull is refused by the
   * server (`remote_changed`, see {@link refusedAsChanged}), as is a first
   * push over a remote notebook that already holds a file the link never saw.
   */
  async push(overwrite = false): Promise<boolean> {
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
      const held = this._remote.notebook;
      const unseen =
        !overwrite && !link.updatedAt && held?.id === link.notebookId;
      if (unseen && held.fileName && held.updatedAt) {
        throw new RemoteApiError({
          message: trans.__(
            '"%1" already holds a notebook this one was never pushed to or opened from; pushing replaces it.',
            held.name
          ),
          status: 409,
          reason: 'remote_changed'
        });
      }
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
        link.folder,
        overwrite ? undefined : this.lastSeen(notebook.path, link)
      );
      // The link remembers what the remote now holds; saved at once, so the
      // notebook is not left with unsaved changes by the push.
      this.noteRemote(notebook.path, link, remote.updatedAt);
      const seen = this._link.link;
      if (remote.updatedAt && seen && seen.notebookId === link.notebookId) {
        if (seen.updatedAt !== remote.updatedAt) {
          this._link.setLink({ ...seen, updatedAt: remote.updatedAt });
          await notebook.save();
        }
      }
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

  /**
   * The remote's `updatedAt` as the file at `path` last saw it: its link's,
   * or a newer one this session's own push of that file made (from the
   * file browser, whose pushes do not write the link).
   */
  lastSeen(path: string, link: INotebookLink): string | undefined {
    const own = this._seen.get(seenKey(path, link));
    return own && !(Date.parse(link.updatedAt ?? '') >= Date.parse(own))
      ? own
      : link.updatedAt;
  }

  /** Note what a push of the file at `path` left on the remote. */
  noteRemote(
    path: string,
    link: INotebookLink,
    updatedAt: string | null | undefined
  ): void {
    if (updatedAt) {
      this._seen.set(seenKey(path, link), updatedAt);
    }
  }

  /** Whether the last push was refused because the remote changed since. */
  get refusedAsChanged(): boolean {
    return this._context.errors.get('actions')?.reason === 'remote_changed';
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
  private _seen = new Map<string, string>();
  private _changed = new Signal<this, void>(this);
}

export namespace PushModel {
  export interface IOptions {
    context: IModelContext;
    link: LinkModel;
    remote: RemoteNotebookModel;
  }
}
