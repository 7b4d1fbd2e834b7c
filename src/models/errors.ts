/**
 * The errors the panel shows, by the part of the panel they belong to, and
 * which of them to show: an error is said once, in the highest part that has
 * it (a refused token fails every call at once).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteApiError } from '../api';

/** Where an error is shown in the panel. */
export type ErrorArea =
  | 'connections'
  | 'token'
  | 'link'
  | 'notebook'
  | 'actions'
  | 'runs'
  | 'usage'
  | 'details'
  | 'schedule';

/** The areas in the order the panel shows them, top to bottom. */
const DISPLAY_ORDER: ErrorArea[] = [
  'connections',
  'token',
  'link',
  'actions',
  'runs',
  'details',
  'schedule',
  'usage',
  'notebook'
];

/** The areas whose errors belong to the link: a new link clears them. */
export const LINK_AREAS: ErrorArea[] = [
  'link',
  'notebook',
  'actions',
  'runs',
  'usage',
  'details',
  'schedule'
];

/** An error to show, in the server's words. */
export interface IShownError {
  message: string;
  reason: string;
  fields?: { [field: string]: string };
}

/** What to show of an error: a REST error in the server's words, else its text. */
export function shownError(error: unknown): IShownError {
  return error instanceof RemoteApiError
    ? { message: error.message, reason: error.reason, fields: error.fields }
    : {
        message: error instanceof Error ? error.message : String(error),
        reason: 'internal'
      };
}

/** The current error of each area of the panel. */
export class ErrorBoard {
  /** Emitted when an error is set or cleared. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get(area: ErrorArea): IShownError | null {
    return this._errors.get(area) ?? null;
  }

  /**
   * The error to show in an area: none when a part shown above it already
   * says the same thing.
   */
  shown(area: ErrorArea): IShownError | null {
    const error = this._errors.get(area);
    if (!error) {
      return null;
    }
    for (const other of DISPLAY_ORDER) {
      if (other === area) {
        break;
      }
      const shown = this._errors.get(other);
      if (
        shown &&
        shown.reason === error.reason &&
        shown.message === error.message
      ) {
        return null;
      }
    }
    return error;
  }

  /** Show what went wrong: a REST error in the server's words, else its text. */
  set(area: ErrorArea, error: unknown): void {
    this._show(area, shownError(error));
  }

  /**
   * Refuse what the user entered, before asking the server: an
   * `invalid_input` error like the server's, resolving false.
   */
  refuse(
    area: ErrorArea,
    message: string,
    fields?: { [field: string]: string }
  ): false {
    this._show(area, { message, reason: 'invalid_input', fields });
    return false;
  }

  clear(...areas: ErrorArea[]): void {
    let changed = false;
    for (const area of areas) {
      changed = this._errors.delete(area) || changed;
    }
    if (changed) {
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _show(area: ErrorArea, error: IShownError): void {
    this._errors.set(area, error);
    this._changed.emit();
  }

  private _errors = new Map<ErrorArea, IShownError>();
  private _changed = new Signal<this, void>(this);
}
