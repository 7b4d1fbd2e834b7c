/**
 * The remote notebook the active notebook is linked to: what the remote
 * says about it, renaming it, and asking for an export of its input data.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IInputExportBody, INotebookPatch, IRemoteNotebook } from '../types';
import { can, ConnectionModel } from './connections';
import { IModelContext } from './context';
import { LinkModel } from './link';

export class RemoteNotebookModel {
  constructor(options: RemoteNotebookModel.IOptions) {
    this._context = options.context;
    this._link = options.link;
    this._connections = options.connections;
  }

  /** Emitted when the remote notebook is loaded, replaced or dropped. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The linked remote notebook, once loaded. */
  get notebook(): IRemoteNotebook | null {
    return this._notebook;
  }

  /** Take what is already known of the linked notebook (a push's answer). */
  set(notebook: IRemoteNotebook | null): void {
    this._notebook = notebook;
    this._changed.emit();
  }

  /** Drop the remote notebook of the previous link. */
  reset(): void {
    if (this._notebook) {
      this.set(null);
    }
  }

  /** Load the linked remote notebook. */
  async load(): Promise<void> {
    // A connection the server does not list is asked all the same: its 404
    // (`unknown_connection`) is what tells the user.
    const link = this._link.link;
    const connection = this._connections.find(link?.connection);
    if (
      !link ||
      this._connections.extensionMissing ||
      (connection && !can(connection, 'list'))
    ) {
      return;
    }
    const { api, errors } = this._context;
    const generation = this._link.generation;
    try {
      const notebook = await api.getNotebook(link.connection, link.notebookId);
      if (generation === this._link.generation) {
        errors.clear('notebook');
        this.set(notebook);
      }
    } catch (error) {
      if (generation === this._link.generation) {
        errors.set('notebook', error);
      }
    }
  }

  /** Rename the remote notebook. */
  async rename(name: string): Promise<boolean> {
    const link = this._link.link;
    const value = name.trim();
    if (!link) {
      return false;
    }
    const { errors, trans } = this._context;
    if (!value) {
      return errors.refuse('notebook', trans.__('The name cannot be empty.'), {
        name: 'is required'
      });
    }
    return this.update({ name: value });
  }

  /** Change the remote notebook (one PATCH); a refusal is shown with its fields. */
  update(patch: INotebookPatch): Promise<boolean> {
    const link = this._link.link;
    const { api, activity } = this._context;
    return link
      ? activity.run('rename', 'notebook', async () =>
          this.set(
            await api.updateNotebook(link.connection, link.notebookId, patch)
          )
        )
      : Promise.resolve(false);
  }

  /** Ask the remote for an export of the notebook's input data. */
  async requestInputExport(body: IInputExportBody): Promise<boolean> {
    const link = this._link.link;
    if (!link) {
      return false;
    }
    const { api, activity, trans } = this._context;
    activity.notice = null;
    let jobId = '';
    const ok = await activity.run('export', 'notebook', async () => {
      jobId = (await api.inputExport(link.connection, link.notebookId, body))
        .jobId;
    });
    if (ok) {
      activity.notice = body.email
        ? trans.__(
            'Input data export queued (job %1); a link will be emailed to %2.',
            jobId,
            body.email
          )
        : trans.__('Input data export queued (job %1).', jobId);
    }
    return ok;
  }

  /**
   * Delete the linked remote notebook (Civis archives it), then remove the
   * link from the notebook's metadata, which would only name what is gone.
   * Nothing else of the local notebook changes. Resolves whether it worked.
   */
  async delete(): Promise<boolean> {
    const link = this._link.link;
    if (!link) {
      return false;
    }
    const ok = await this._context.activity.run('delete', 'notebook', () =>
      this._context.api.deleteNotebook(link.connection, link.notebookId)
    );
    if (ok && this._link.isLinkedTo(link)) {
      this._link.setLink(null);
    }
    return ok;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _context: IModelContext;
  private _link: LinkModel;
  private _connections: ConnectionModel;
  private _notebook: IRemoteNotebook | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace RemoteNotebookModel {
  export interface IOptions {
    context: IModelContext;
    link: LinkModel;
    connections: ConnectionModel;
  }
}
