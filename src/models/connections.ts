/**
 * The connections the server offers, the one picked in the panel, and its
 * token (sent once, never read back).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { CLIENT_REASONS, RemoteApiError } from '../api';
import { Capability, IConnection } from '../types';
import { IModelContext } from './context';

export class ConnectionModel {
  constructor(options: ConnectionModel.IOptions) {
    this._context = options.context;
    this._linked = options.linked;
  }

  /** Emitted when the list, the picked connection or a token state changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get list(): readonly IConnection[] {
    return this._list;
  }

  /** Whether the list was asked for at least once (answered or failed). */
  get loaded(): boolean {
    return this._loaded;
  }

  /** True when the server extension does not answer at all. */
  get extensionMissing(): boolean {
    return this._extensionMissing;
  }

  /** The id of the connection picked in the panel. */
  get selectedId(): string | null {
    return this._selectedId;
  }

  get selected(): IConnection | null {
    return this.find(this._selectedId);
  }

  find(id: string | null | undefined): IConnection | null {
    return this._list.find(c => c.id === id) ?? null;
  }

  /**
   * Ask the server for its connections. The picked one stays if it still
   * exists; else the linked notebook's, the server's default, or the first.
   */
  async load(): Promise<void> {
    const { api, errors } = this._context;
    try {
      const list = await api.listConnections();
      this._list = list.connections;
      this._extensionMissing = false;
      this._loaded = true;
      errors.clear('connections');
      const known = (id: string | null) =>
        !!id && list.connections.some(c => c.id === id);
      const linked = this._linked();
      if (!known(this._selectedId)) {
        this._selectedId = known(linked)
          ? linked
          : known(list.default)
            ? list.default
            : (list.connections[0]?.id ?? null);
      }
    } catch (error) {
      this._loaded = true;
      this._extensionMissing = RemoteApiError.hasReason(
        error,
        CLIENT_REASONS.extensionMissing
      );
      errors.set('connections', error);
    }
    this._changed.emit();
  }

  /** Pick a connection; resolves whether the pick changed. */
  select(id: string): boolean {
    if (id === this._selectedId) {
      return false;
    }
    this._selectedId = id;
    this._context.errors.clear('token');
    this._changed.emit();
    return true;
  }

  /** Pick the connection of a new link, when the server knows it. */
  follow(id: string): void {
    if (id !== this._selectedId && this.find(id)) {
      this._selectedId = id;
      this._changed.emit();
    }
  }

  /** Send a token for the picked connection, then read the list again. */
  async setToken(token: string): Promise<boolean> {
    const { api, errors, trans } = this._context;
    const connection = this._selectedId;
    const value = token.trim();
    if (!connection) {
      return false;
    }
    if (!value) {
      return errors.refuse('token', trans.__('Enter a token first.'));
    }
    return this._changeToken(() => api.setToken(connection, value));
  }

  /** Make the server forget the token of the picked connection. */
  async forgetToken(): Promise<boolean> {
    const connection = this._selectedId;
    if (!connection) {
      return false;
    }
    return this._changeToken(() => this._context.api.forgetToken(connection));
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private async _changeToken(work: () => Promise<void>): Promise<boolean> {
    const ok = await this._context.activity.run('token', 'token', work);
    if (ok) {
      await this.load();
    }
    return ok;
  }

  private _context: IModelContext;
  private _linked: () => string | null;
  private _list: IConnection[] = [];
  private _loaded = false;
  private _extensionMissing = false;
  private _selectedId: string | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace ConnectionModel {
  export interface IOptions {
    context: IModelContext;
    /** The connection of the active notebook's link, if any. */
    linked: () => string | null;
  }
}

/** Whether the connection can do `capability`. */
export function can(
  connection: IConnection | null,
  capability: Capability
): boolean {
  return !!connection && connection.capabilities.includes(capability);
}

/** Why the connection cannot do `capability` (null when it can, or is none). */
export function whyNot(
  connection: IConnection | null,
  capability: Capability,
  trans: IModelContext['trans']
): string | null {
  if (!connection || connection.capabilities.includes(capability)) {
    return null;
  }
  return (
    connection.unsupported?.[capability] ??
    trans.__(
      '%1 (%2) does not offer this.',
      connection.label || connection.id,
      connection.kind
    )
  );
}
