/**
 * The active notebook as the model sees it: its path, its link to a remote
 * notebook (`metadata.notebook_remote`), whether it changed since it was
 * saved, and a way to save it. Keeping this behind an interface lets the
 * model be tested without a live notebook widget.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { runForm, runOptions } from './runOptions';
import { METADATA_KEY } from './tokens';
import { INotebookLink, IRunOptions } from './types';

export interface INotebookHandle {
  /** Path in the Jupyter contents (e.g. `work/report.ipynb`). */
  readonly path: string;
  /** Whether there are unsaved changes. */
  readonly dirty: boolean;
  /** `last_modified` of the saved file, or null when unknown. */
  readonly lastModified: string | null;
  /** Size in bytes of the saved file, or null when unknown. */
  readonly size: number | null;
  /** Emitted when the path, the link, the dirty state or the file changes. */
  readonly changed: ISignal<INotebookHandle, void>;
  readonly isDisposed: boolean;
  getLink(): INotebookLink | null;
  setLink(link: INotebookLink | null): void;
  save(): Promise<void>;
  /** Read the saved file again, dropping unsaved changes. */
  revert(): Promise<void>;
  /** Insert a code cell below the active cell, and make it the active one. */
  insertCode(source: string): void;
}

/** The file name of a path. */
export function baseName(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

/** The folder of a path ('' for the root). */
export function dirName(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}

/** The file name without its `.ipynb` extension. */
export function stem(path: string): string {
  return baseName(path).replace(/\.ipynb$/i, '');
}

/** Read a link out of notebook metadata, or null when absent or malformed. */
export function parseLink(value: unknown): INotebookLink | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const { connection, notebookId, folder, updatedAt, lastRunOptions } =
    value as {
      connection?: unknown;
      notebookId?: unknown;
      folder?: unknown;
      updatedAt?: unknown;
      lastRunOptions?: unknown;
    };
  if (
    typeof connection === 'string' &&
    connection &&
    typeof notebookId === 'string' &&
    notebookId
  ) {
    const link: INotebookLink = { connection, notebookId };
    if (folder === 'files' || folder === 'tree' || folder === 'none') {
      link.folder = folder;
    }
    if (typeof updatedAt === 'string' && updatedAt) {
      link.updatedAt = updatedAt;
    }
    if (lastRunOptions) {
      // Read through the dialog's form: what is malformed is left out.
      link.lastRunOptions = runOptions(runForm(lastRunOptions as IRunOptions));
    }
    return link;
  }
  return null;
}

/** Whether two links point at the same remote notebook. */
export function sameLink(a: INotebookLink, b: INotebookLink): boolean {
  return a.connection === b.connection && a.notebookId === b.notebookId;
}

/** An {@link INotebookHandle} over a JupyterLab notebook panel. */
class PanelNotebookHandle implements INotebookHandle {
  constructor(panel: NotebookPanel) {
    this._panel = panel;
    const context = panel.context;
    context.pathChanged.connect(this._emit, this);
    context.fileChanged.connect(this._emit, this);
    context.model.stateChanged.connect(this._onStateChanged, this);
    context.model.metadataChanged.connect(this._onMetadataChanged, this);
    panel.disposed.connect(this._onDisposed, this);
  }

  get path(): string {
    return this._panel.context.path;
  }

  get dirty(): boolean {
    return this._panel.context.model.dirty;
  }

  get lastModified(): string | null {
    return this._panel.context.contentsModel?.last_modified ?? null;
  }

  get size(): number | null {
    const size = this._panel.context.contentsModel?.size;
    return typeof size === 'number' ? size : null;
  }

  get changed(): ISignal<INotebookHandle, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  getLink(): INotebookLink | null {
    return parseLink(this._panel.context.model.getMetadata(METADATA_KEY));
  }

  setLink(link: INotebookLink | null): void {
    const model = this._panel.context.model;
    if (link) {
      // What parseLink read, as JSON (no undefined member).
      model.setMetadata(METADATA_KEY, JSON.parse(JSON.stringify(link)));
    } else {
      model.deleteMetadata(METADATA_KEY);
    }
  }

  async save(): Promise<void> {
    await this._panel.context.save();
  }

  revert(): Promise<void> {
    return this._panel.context.revert();
  }

  insertCode(source: string): void {
    const notebook = this._panel.content;
    const index = notebook.activeCellIndex + 1;
    notebook.model?.sharedModel.insertCell(index, {
      cell_type: 'code',
      source
    });
    notebook.activeCellIndex = index;
  }

  private _onStateChanged(_: unknown, change: { name: string }): void {
    if (change.name === 'dirty') {
      this._emit();
    }
  }

  private _onMetadataChanged(_: unknown, change: { key: string }): void {
    if (change.key === METADATA_KEY) {
      this._emit();
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _onDisposed(): void {
    this._isDisposed = true;
    this._changed.emit();
    Signal.clearData(this);
  }

  private _panel: NotebookPanel;
  private _isDisposed = false;
  private _changed = new Signal<INotebookHandle, void>(this);
}

/**
 * Call `follow` with a handle on the active notebook once its file is read,
 * and with null when no notebook is active, now and whenever that changes.
 */
export function followActiveNotebook(
  tracker: INotebookTracker,
  follow: (notebook: INotebookHandle | null) => void
): void {
  const handles = new WeakMap<NotebookPanel, PanelNotebookHandle>();
  const onCurrent = (widget: NotebookPanel | null) => {
    if (!widget) {
      follow(null);
      return;
    }
    let handle = handles.get(widget);
    if (!handle) {
      handle = new PanelNotebookHandle(widget);
      handles.set(widget, handle);
    }
    const target = handle;
    void widget.context.ready.then(() => {
      if (tracker.currentWidget === widget) {
        follow(target);
      }
    });
  };
  tracker.currentChanged.connect((_, widget) => onCurrent(widget));
  onCurrent(tracker.currentWidget);
}

/** The open notebook linked to `link`, if any. */
export function findLinkedNotebook(
  tracker: INotebookTracker,
  link: INotebookLink
): NotebookPanel | undefined {
  return tracker.find(widget => {
    const other = parseLink(widget.context.model.getMetadata(METADATA_KEY));
    return !!other && sameLink(other, link);
  });
}
