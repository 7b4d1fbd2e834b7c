/**
 * The usage of the linked notebook (minutes and outcomes per day) over the
 * range the settings ask for.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IUsage } from '../types';
import { can, ConnectionModel } from './connections';
import { IModelContext } from './context';
import { LinkModel } from './link';

const DAY_MS = 24 * 60 * 60 * 1000;

export class UsageModel {
  constructor(options: UsageModel.IOptions) {
    this._context = options.context;
    this._connections = options.connections;
    this._link = options.link;
  }

  /** Emitted when the usage is loaded or dropped. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The usage of the linked notebook, once loaded. */
  get usage(): IUsage | null {
    return this._usage;
  }

  /** Load the usage over the last `usageDays` days, today included. */
  async load(): Promise<void> {
    const link = this._link.link;
    const connection = this._connections.find(link?.connection);
    if (!link || !can(connection, 'usage')) {
      return;
    }
    const { api, errors, now, settings } = this._context;
    const generation = this._link.generation;
    const end = now();
    const today = Math.floor(end / DAY_MS) * DAY_MS;
    const start = today - (settings.usageDays - 1) * DAY_MS;
    try {
      const usage = await api.usage(link.connection, link.notebookId, {
        start,
        end
      });
      if (generation === this._link.generation) {
        errors.clear('usage');
        this._usage = usage;
        this._changed.emit();
      }
    } catch (error) {
      if (generation === this._link.generation) {
        errors.set('usage', error);
      }
    }
  }

  /** Drop the usage of the previous link. */
  reset(): void {
    if (this._usage) {
      this._usage = null;
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _context: IModelContext;
  private _connections: ConnectionModel;
  private _link: LinkModel;
  private _usage: IUsage | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace UsageModel {
  export interface IOptions {
    context: IModelContext;
    connections: ConnectionModel;
    link: LinkModel;
  }
}
