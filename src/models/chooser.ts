/**
 * The inline chooser of the remote notebook to link: search the picked
 * connection's remote notebooks, link one, or create one and link it.
 */
import { Debouncer } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IRemoteNotebook } from '../types';
import { can, ConnectionModel } from './connections';
import { IModelContext } from './context';
import { LinkModel } from './link';
import { RemoteNotebookModel } from './remote';

/** What the chooser shows. */
export interface IChooserState {
  filter: string;
  loading: boolean;
  items: IRemoteNotebook[];
  totalCount: number;
}

export class ChooserModel {
  constructor(options: ChooserModel.IOptions) {
    this._context = options.context;
    this._connections = options.connections;
    this._link = options.link;
    this._remote = options.remote;
    this._debouncer = new Debouncer(() => this._search(), 300);
  }

  /** Emitted when the chooser opens, closes, or its list changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The chooser, or null while it is closed. */
  get state(): IChooserState | null {
    return this._state;
  }

  /** Open the chooser and list the picked connection's remote notebooks. */
  open(): void {
    if (!this._link.notebook) {
      return;
    }
    this._context.errors.clear('link');
    this._update({ filter: '', loading: true, items: [], totalCount: 0 });
    void this._search();
  }

  /** Close the chooser and what it said went wrong. */
  close(): void {
    this._context.errors.clear('link');
    this._update(null);
  }

  /** Close the chooser, now for another notebook or connection. */
  reset(): void {
    this._update(null);
  }

  /** Change the search text (the list follows shortly). */
  setFilter(filter: string): void {
    if (!this._state) {
      return;
    }
    this._update({ ...this._state, filter, loading: true });
    void this._debouncer.invoke();
  }

  /** Link the active notebook to an existing remote notebook. */
  linkTo(notebook: IRemoteNotebook): void {
    const connection = this._connections.selectedId;
    if (!this._link.notebook || !connection) {
      return;
    }
    this._update(null);
    this._link.setLink({ connection, notebookId: notebook.id });
    // The metadata change re-targets the model; keep what we already know.
    if (this._link.link?.notebookId === notebook.id) {
      this._remote.set(notebook);
    }
  }

  /** Create a remote notebook and link the active notebook to it. */
  async createAndLink(name: string): Promise<boolean> {
    const connection = this._connections.selectedId;
    const value = name.trim();
    if (!this._link.notebook || !connection) {
      return false;
    }
    const { api, errors, activity, trans } = this._context;
    if (!value) {
      return errors.refuse(
        'link',
        trans.__('Give the new remote notebook a name.'),
        { name: 'is required' }
      );
    }
    let created: IRemoteNotebook | null = null;
    const ok = await activity.run('link', 'link', async () => {
      created = await api.createNotebook(connection, { name: value });
    });
    if (ok && created) {
      const { id } = created;
      if (this._connections.selected?.notebookOptions?.length) {
        // Its runtime settings (Civis's) are the next thing to set.
        this._created = `${connection}/${id}`;
      }
      this.linkTo(created);
    }
    return ok;
  }

  /**
   * Whether the notebook `key` (`connection/id`) was just created here on a
   * connection whose notebooks take settings, once: the panel then opens
   * them for editing.
   */
  takeCreated(key: string): boolean {
    if (this._created !== key) {
      return false;
    }
    this._created = null;
    return true;
  }

  dispose(): void {
    this._debouncer.dispose();
    Signal.clearData(this);
  }

  private async _search(): Promise<void> {
    const state = this._state;
    const connection = this._connections.selected;
    if (!state || !can(connection, 'list')) {
      return;
    }
    const filter = state.filter.trim();
    const { api, errors } = this._context;
    try {
      const page = await api.listNotebooks(connection!.id, {
        filter: filter || undefined,
        perPage: 50
      });
      if (this._state && this._state.filter.trim() === filter) {
        errors.clear('link');
        this._update({
          ...this._state,
          loading: false,
          items: page.items,
          totalCount: page.totalCount
        });
      }
    } catch (error) {
      errors.set('link', error);
      if (this._state) {
        this._update({ ...this._state, loading: false });
      }
    }
  }

  private _update(state: IChooserState | null): void {
    if (state !== this._state) {
      this._state = state;
      this._changed.emit();
    }
  }

  private _context: IModelContext;
  private _connections: ConnectionModel;
  private _link: LinkModel;
  private _remote: RemoteNotebookModel;
  private _debouncer: Debouncer;
  private _state: IChooserState | null = null;
  private _created: string | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace ChooserModel {
  export interface IOptions {
    context: IModelContext;
    connections: ConnectionModel;
    link: LinkModel;
    remote: RemoteNotebookModel;
  }
}
