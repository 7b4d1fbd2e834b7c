/** @jsx h */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import React from 'react';

import { IRunsViewActions, RunsTableView } from '../components/RunsTable';
import { remoteNotebookIcon } from '../icons';
import { OverviewModel } from '../models/overview';
import { RUNS_VIEW_ID } from '../tokens';
import { IConnection } from '../types';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

/** The table of runs, rendered from the overview model. */
class RunsViewContent extends ReactWidget {
  constructor(options: RunsView.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-NotebookRemote-runsViewContent');
    options.model.changed.connect(this._onChanged, this);
  }

  dispose(): void {
    this._options.model.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    const { actions, trans, connections, model } = this._options;
    return (
      <RunsTableView
        model={model}
        connections={connections()}
        actions={actions}
        trans={trans}
      />
    );
  }

  /** Render what changed, while shown (a hidden view renders when shown). */
  private _onChanged(): void {
    this.update();
  }

  private _options: RunsView.IOptions;
}

/**
 * The "Remote runs" main-area view. Its runs are checked by the one poll
 * while it is visible, and not while it is hidden.
 */
export class RunsView extends MainAreaWidget<RunsViewContent> {
  constructor(options: RunsView.IOptions) {
    super({ content: new RunsViewContent(options) });
    this._overview = options.model;
    this.id = RUNS_VIEW_ID;
    this.addClass('jp-NotebookRemote-runsViewWidget');
    this.title.label = options.trans.__('Remote runs');
    this.title.caption = options.trans.__(
      'Every run of the notebooks linked in this workspace'
    );
    this.title.icon = remoteNotebookIcon;
    this.title.closable = true;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._overview.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._overview.setVisible(false);
  }

  protected onBeforeDetach(msg: Message): void {
    this._overview.setVisible(false);
    super.onBeforeDetach(msg);
  }

  private _overview: OverviewModel;
}

export namespace RunsView {
  export interface IOptions {
    model: OverviewModel;
    connections: () => readonly IConnection[];
    actions: IRunsViewActions;
    trans: TranslationBundle;
  }
}
