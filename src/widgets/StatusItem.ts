import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { RemoteModel } from '../model';

/**
 * "2 remote runs active" in the status bar while watched runs are queued or
 * in progress (hidden when none); a click opens the runs view.
 */
export class StatusItem extends Widget {
  constructor(options: StatusItem.IOptions) {
    super({ node: document.createElement('button') });
    this._model = options.model;
    this._trans = options.trans;
    const button = this.node as HTMLButtonElement;
    button.type = 'button';
    this.addClass('jp-NotebookRemote-statusItem');
    button.addEventListener('click', () => options.onClick());
    this._model.runsChanged.connect(this._update, this);
    this._model.overview.changed.connect(this._update, this);
    this._update();
  }

  /** How many runs it shows. */
  get count(): number {
    return this._count;
  }

  dispose(): void {
    this._model.runsChanged.disconnect(this._update, this);
    this._model.overview.changed.disconnect(this._update, this);
    super.dispose();
  }

  private _update(): void {
    const count = this._model.goingCount;
    if (count === this._count) {
      return;
    }
    this._count = count;
    const text = this._trans._n(
      '%1 remote run active',
      '%1 remote runs active',
      count
    );
    this.node.textContent = text;
    this.node.title = this._trans.__('Open the Remote runs view');
    this.setHidden(count === 0);
    this.node.setAttribute('aria-label', text);
  }

  private _model: RemoteModel;
  private _trans: TranslationBundle;
  private _count = -1;
}

export namespace StatusItem {
  export interface IOptions {
    model: RemoteModel;
    trans: TranslationBundle;
    onClick: () => void;
  }
}
