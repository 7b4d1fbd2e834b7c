/**
 * The active notebook and its link to a remote notebook
 * (`metadata.notebook_remote`).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { INotebookHandle, sameLink, stem } from '../notebook';
import { FolderMode, INotebookLink, IRunOptions } from '../types';

export class LinkModel {
  /**
   * Emitted when another notebook is followed or the link of the followed
   * one changes: whatever belonged to the previous link is stale.
   */
  get linkChanged(): ISignal<this, void> {
    return this._linkChanged;
  }

  /** Emitted when the followed notebook changes otherwise (saved, edited). */
  get notebookChanged(): ISignal<this, void> {
    return this._notebookChanged;
  }

  get notebook(): INotebookHandle | null {
    return this._notebook;
  }

  get link(): INotebookLink | null {
    return this._notebook?.getLink() ?? null;
  }

  /**
   * A number that changes with every new link: an answer that arrives after
   * the link changed is for the previous one, and is dropped.
   */
  get generation(): number {
    return this._generation;
  }

  /** Whether `link` is the link of the active notebook. */
  isLinkedTo(link: INotebookLink): boolean {
    const current = this.link;
    return !!current && sameLink(current, link);
  }

  /** Default name of a new remote notebook: the file name without .ipynb. */
  get defaultRemoteName(): string {
    return this._notebook ? stem(this._notebook.path) : '';
  }

  /** Follow another notebook (or none). */
  setNotebook(notebook: INotebookHandle | null): void {
    if (notebook === this._notebook) {
      return;
    }
    this._notebook?.changed.disconnect(this._onNotebookChanged, this);
    this._notebook = notebook;
    notebook?.changed.connect(this._onNotebookChanged, this);
    this._linkKey = this._currentLinkKey();
    this._announceLink();
  }

  /** Write (or, with null, remove) the link in the notebook's metadata. */
  setLink(link: INotebookLink | null): void {
    this._notebook?.setLink(link);
  }

  /** Which files beside the notebook its pushes carry (kept in the link). */
  setFolder(folder: FolderMode): void {
    const link = this.link;
    if (link && (link.folder ?? 'files') !== folder) {
      this.setLink({ ...link, folder });
    }
  }

  /** Keep the options of a run with options in the link, for the next one. */
  setRunOptions(lastRunOptions: IRunOptions): void {
    const link = this.link;
    const json = (o?: IRunOptions) => JSON.stringify(o ?? {});
    if (link && json(link.lastRunOptions) !== json(lastRunOptions)) {
      this.setLink({ ...link, lastRunOptions });
    }
  }

  dispose(): void {
    this._notebook?.changed.disconnect(this._onNotebookChanged, this);
    this._notebook = null;
    Signal.clearData(this);
  }

  private _onNotebookChanged(): void {
    if (this._notebook?.isDisposed) {
      this.setNotebook(null);
      return;
    }
    const key = this._currentLinkKey();
    if (key !== this._linkKey) {
      this._linkKey = key;
      this._announceLink();
    } else {
      this._notebookChanged.emit();
    }
  }

  private _announceLink(): void {
    this._generation++;
    this._linkChanged.emit();
  }

  private _currentLinkKey(): string {
    const link = this.link;
    return link ? `${link.connection}/${link.notebookId}` : '';
  }

  private _notebook: INotebookHandle | null = null;
  private _linkKey = '';
  private _generation = 0;
  private _linkChanged = new Signal<this, void>(this);
  private _notebookChanged = new Signal<this, void>(this);
}
