/**
 * What the panel is doing and what it last did: the actions in flight
 * (buttons wait for them) and the short confirmation of the last one.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ErrorArea, ErrorBoard } from './errors';

/** The actions the panel tracks. */
export type Action =
  | 'push'
  | 'pull'
  | 'run'
  | 'cancel'
  | 'token'
  | 'link'
  | 'rename'
  | 'export'
  | 'log'
  | 'open-result'
  | 'schedule'
  | 'open'
  | 'delete';

export class Activity {
  constructor(errors: ErrorBoard) {
    this._errors = errors;
  }

  /** Emitted when an action starts or ends, or the notice changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  isBusy(action: Action): boolean {
    return this._busy.has(action);
  }

  /** A short confirmation of the last action (e.g. "Export queued"). */
  get notice(): string | null {
    return this._notice;
  }

  set notice(notice: string | null) {
    if (notice !== this._notice) {
      this._notice = notice;
      this._changed.emit();
    }
  }

  /**
   * Do `work` as `action`: busy meanwhile, its failure shown in `area`.
   * Resolves whether it worked.
   */
  async run(
    action: Action,
    area: ErrorArea,
    work: () => Promise<unknown>
  ): Promise<boolean> {
    this._busy.add(action);
    this._errors.clear(area);
    this._changed.emit();
    try {
      await work();
      return true;
    } catch (error) {
      this._errors.set(area, error);
      return false;
    } finally {
      this._busy.delete(action);
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _errors: ErrorBoard;
  private _busy = new Set<Action>();
  private _notice: string | null = null;
  private _changed = new Signal<this, void>(this);
}
