/**
 * Opening the file a remote notebook holds (pull): the server saves it as a
 * notebook in the Jupyter contents, already linked, and the model opens it;
 * or it replaces the active notebook, which is then read again.
 */
import { RemoteApiError } from '../api';
import { dirName } from '../notebook';
import { INotebookLink } from '../types';
import { IModelContext } from './context';
import { LinkModel } from './link';

/** How many names `name.ipynb`, `name 2.ipynb`... a copy tries. */
const MAX_NAMES = 20;

/** A file name made of a remote notebook's name: no separators, no leading dot. */
export function copyName(name: string): string {
  const safe = name
    .replace(/[\\/:*?"<>|\p{Cc}]+/gu, '-')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 120);
  return safe || 'remote notebook';
}

export class PullModel {
  constructor(options: PullModel.IOptions) {
    this._context = options.context;
    this._link = options.link;
    this._openPath = options.openPath;
  }

  /**
   * Save the file of `link`'s remote notebook as a new notebook named after
   * `name`, beside the active notebook, and open it. Resolves its path, or
   * null when it failed (the failure is shown with the panel's actions).
   */
  async openCopy(link: INotebookLink, name: string): Promise<string | null> {
    const { api, activity, trans } = this._context;
    const folder = dirName(this._link.notebook?.path ?? '');
    const base = copyName(name);
    let path: string | null = null;
    await activity.run('pull', 'actions', async () => {
      for (let n = 1; !path; n++) {
        const file = `${n === 1 ? base : `${base} ${n}`}.ipynb`;
        try {
          const saved = await api.pull(
            link.connection,
            link.notebookId,
            folder ? `${folder}/${file}` : file
          );
          path = saved.path;
        } catch (error) {
          if (!RemoteApiError.hasReason(error, 'exists') || n >= MAX_NAMES) {
            throw error;
          }
        }
      }
    });
    if (path) {
      activity.notice = trans.__('Opened the remote copy as %1.', path);
      this._openPath?.(path);
    }
    return path;
  }

  /**
   * Replace the active notebook with its remote notebook's file, then read it
   * again (unsaved changes are lost: the caller asks first).
   */
  async replace(): Promise<boolean> {
    const notebook = this._link.notebook;
    const link = this._link.link;
    const { api, activity, trans } = this._context;
    if (!notebook || !link) {
      return false;
    }
    const ok = await activity.run('pull', 'actions', async () => {
      await api.pull(link.connection, link.notebookId, notebook.path, true);
      await notebook.revert();
      // The saved link is the server's; the choice of files to carry is ours.
      const now = this._link.link;
      if (link.folder && now && !now.folder) {
        this._link.setLink({ ...now, folder: link.folder });
        await notebook.save();
      }
    });
    if (ok) {
      activity.notice = trans.__('Replaced with the remote copy.');
    }
    return ok;
  }

  private _context: IModelContext;
  private _link: LinkModel;
  private _openPath: ((path: string) => void) | null;
}

export namespace PullModel {
  export interface IOptions {
    context: IModelContext;
    link: LinkModel;
    openPath: ((path: string) => void) | null;
  }
}
