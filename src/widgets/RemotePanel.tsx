/** @jsx h */
import { VDomRenderer } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import React from 'react';

import { IPanelActions } from '../components/actions';
import { RemotePanelView } from '../components/Panel';
import { remoteNotebookIcon } from '../icons';
import { RemoteModel } from '../model';
import { PANEL_ID, TRANSLATION_DOMAIN } from '../tokens';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

/** The "Remote Notebooks" sidebar panel. */
export class RemotePanel extends VDomRenderer<RemoteModel> {
  constructor(options: RemotePanel.IOptions) {
    super(options.model);
    this._actions = options.actions;
    this._trans = (options.translator ?? nullTranslator).load(
      TRANSLATION_DOMAIN
    );
    this.id = PANEL_ID;
    this.addClass('jp-NotebookRemote-panel');
    this.title.icon = remoteNotebookIcon;
    this.title.caption = this._trans.__('Remote Notebooks');
  }

  protected render(): JSX.Element {
    return (
      <RemotePanelView
        model={this.model}
        actions={this._actions}
        trans={this._trans}
      />
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model?.setVisible(false);
  }

  protected onBeforeDetach(msg: Message): void {
    // The renderer drops its model when disposed, before it is detached.
    this.model?.setVisible(false);
    super.onBeforeDetach(msg);
  }

  private _actions: IPanelActions;
  private _trans: TranslationBundle;
}

export namespace RemotePanel {
  export interface IOptions {
    model: RemoteModel;
    actions: IPanelActions;
    translator?: ITranslator;
  }
}
