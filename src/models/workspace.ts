/**
 * The notebooks linked in this workspace: every local notebook seen with a
 * link (opened, linked, pushed or run from the file browser), by the remote
 * notebook it is linked to. The runs view lists the runs of all of them.
 *
 * The list is kept in the workspace's state (JupyterLab's `IStateDB`), so it
 * survives a reload and belongs to the workspace, like its open tabs.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { baseName } from '../notebook';
import { INotebookLink } from '../types';

/** A notebook of this workspace and the remote notebook it is linked to. */
export interface IWorkspaceLink extends INotebookLink {
  /** Its path in the Jupyter contents, when last seen. */
  path: string;
  /** The remote notebook's name, once known. */
  name?: string;
}

/** How the links are kept (`IStateDB` in JupyterLab, memory in tests). */
export interface ILinkStore {
  load(): Promise<unknown>;
  save(value: IWorkspaceLink[]): Promise<unknown>;
}

/** Most notebooks remembered; the ones seen longest ago go first. */
const MAX_LINKS = 200;

/** The key of a remote notebook: `connection/notebookId`. */
export function linkKey(link: INotebookLink): string {
  return `${link.connection}/${link.notebookId}`;
}

export class WorkspaceLinks {
  /** Emitted when a notebook is added, renamed or forgotten. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The links, the one seen most recently first. */
  get list(): readonly IWorkspaceLink[] {
    return this._list;
  }

  get(link: INotebookLink): IWorkspaceLink | null {
    const key = linkKey(link);
    return this._list.find(l => linkKey(l) === key) ?? null;
  }

  /** The link known for a local path, if any. */
  byPath(path: string): IWorkspaceLink | null {
    return this._list.find(l => l.path === path) ?? null;
  }

  /** Read what the workspace kept (once; what was noted meanwhile stays). */
  async restore(store: ILinkStore): Promise<void> {
    this._store = store;
    let saved: unknown = null;
    try {
      saved = await store.load();
    } catch {
      saved = null;
    }
    const known = new Set(this._list.map(linkKey));
    const paths = new Set(this._list.map(l => l.path));
    for (const item of Array.isArray(saved) ? saved : []) {
      const link = parse(item);
      if (link && !known.has(linkKey(link)) && !paths.has(link.path)) {
        known.add(linkKey(link));
        paths.add(link.path);
        this._list.push(link);
      }
    }
    this._list = this._list.slice(0, MAX_LINKS);
    this._changed.emit();
  }

  /**
   * Note that the notebook at `path` is linked to `link` (or, with null,
   * no longer linked). A path holds one link; a remote notebook one path.
   */
  note(path: string, link: INotebookLink | null, name?: string): void {
    const before = JSON.stringify(this._list);
    const previous = link ? this.get(link) : null;
    const rest = this._list.filter(
      l => l.path !== path && (!link || linkKey(l) !== linkKey(link))
    );
    if (link) {
      const entry: IWorkspaceLink = {
        connection: link.connection,
        notebookId: link.notebookId,
        path
      };
      const known = name ?? previous?.name;
      if (known) {
        entry.name = known;
      }
      rest.unshift(entry);
    }
    this._list = rest.slice(0, MAX_LINKS);
    if (JSON.stringify(this._list) !== before) {
      this._changed.emit();
      void this._save();
    }
  }

  /** Give the remote notebook of a link its name. */
  name(link: INotebookLink, name: string): void {
    const entry = this.get(link);
    if (entry && entry.name !== name) {
      this._list = this._list.map(l => (l === entry ? { ...l, name } : l));
      this._changed.emit();
      void this._save();
    }
  }

  /** What the runs view calls a notebook: its remote name, else its file. */
  label(link: INotebookLink): string {
    const entry = this.get(link);
    return entry?.name || (entry ? baseName(entry.path) : link.notebookId);
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private async _save(): Promise<void> {
    try {
      await this._store?.save(this._list);
    } catch {
      // The workspace could not keep it: it is kept for this session.
    }
  }

  private _list: IWorkspaceLink[] = [];
  private _store: ILinkStore | null = null;
  private _changed = new Signal<this, void>(this);
}

function parse(value: unknown): IWorkspaceLink | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const { connection, notebookId, path, name } = value as {
    [key: string]: unknown;
  };
  if (
    typeof connection !== 'string' ||
    !connection ||
    typeof notebookId !== 'string' ||
    !notebookId ||
    typeof path !== 'string' ||
    !path
  ) {
    return null;
  }
  const link: IWorkspaceLink = { connection, notebookId, path };
  if (typeof name === 'string' && name) {
    link.name = name;
  }
  return link;
}
