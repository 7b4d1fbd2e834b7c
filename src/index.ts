/**
 * Wiring: the model (provided to other plugins as INotebookRemote), the
 * sidebar panel, the runs view, the file browser's menu, the status bar
 * item, the launcher card, the commands, the notifications and the settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReadonlyPartialJSONValue } from '@lumino/coreutils';

import { RemoteNotebookApi } from './api';
import { addBrowserCommands } from './browser';
import {
  addCommands,
  addToPalette,
  confirmCancel,
  isCommandEnabled
} from './commands';
import { RemoteModel } from './model';
import { linkKey } from './models/workspace';
import {
  findLinkedNotebook,
  followActiveNotebook,
  parseLink,
  sameLink
} from './notebook';
import { connectNotifications } from './notifications';
import {
  CommandIDs,
  INotebookRemote,
  METADATA_KEY,
  normalizeSettings,
  PANEL_ID,
  PLUGIN_ID,
  STATUS_ITEM_ID,
  TRANSLATION_DOMAIN
} from './tokens';
import { IExecution, IExecutionOutput, INotebookLink } from './types';
import { RemotePanel } from './widgets/RemotePanel';
import { RunsView } from './widgets/RunsView';
import { StatusItem } from './widgets/StatusItem';

/** Where the workspace keeps its linked notebooks (IStateDB). */
const WORKSPACE_LINKS_KEY = `${PLUGIN_ID}:linked-notebooks`;

const plugin: JupyterFrontEndPlugin<INotebookRemote> = {
  id: PLUGIN_ID,
  description:
    'Push, run, cancel and watch notebooks on a remote notebook service.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    IDefaultFileBrowser,
    IStatusBar,
    ILauncher,
    IStateDB
  ],
  provides: INotebookRemote,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    fileBrowser: IDefaultFileBrowser | null,
    statusBar: IStatusBar | null,
    launcher: ILauncher | null,
    state: IStateDB | null
  ): INotebookRemote => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const model = new RemoteModel({
      api: new RemoteNotebookApi({
        serverSettings: app.serviceManager.serverSettings
      }),
      trans,
      contents: app.serviceManager.contents,
      openPath: path => void app.commands.execute('docmanager:open', { path })
    });
    followActiveNotebook(tracker, notebook => model.setNotebook(notebook));

    const openPanel = () => app.shell.activateById(PANEL_ID);
    const openOutput = (execution: IExecution, output: IExecutionOutput) => {
      if (/\.ipynb$/i.test(output.name)) {
        void model.openResultNotebook(execution.id, output.name);
      } else if (output.url) {
        window.open(output.url, '_blank', 'noopener');
      }
    };
    const panel = new RemotePanel({
      model,
      translator: translator ?? nullTranslator,
      actions: {
        execute: id => void app.commands.execute(id),
        isEnabled: id => isCommandEnabled(model, id),
        openOutput
      }
    });
    app.shell.add(panel, 'left', { rank: 800 });
    restorer?.add(panel, PANEL_ID);

    // The "Remote runs" view, made when first opened and again once closed;
    // reopened with the workspace when it was open.
    let runsView: RunsView | null = null;
    const runsViews = new WidgetTracker<RunsView>({
      namespace: 'notebook-remote-runs'
    });
    void restorer?.restore(runsViews, {
      command: CommandIDs.openRuns,
      name: () => 'runs'
    });
    const openRuns = (notebook: INotebookLink | null = null) => {
      if (notebook) {
        model.overview.setFilters({ notebook: linkKey(notebook) });
      }
      if (!runsView || runsView.isDisposed) {
        runsView = new RunsView({
          model: model.overview,
          connections: () => model.connections,
          trans,
          actions: {
            refresh: () => void model.refresh(),
            cancel: run =>
              void confirmCancel(
                run.execution,
                trans,
                model.overview.label(run.link)
              ).then(yes => (yes ? model.overview.cancel(run) : false)),
            openNotebook: run => {
              void app.commands
                .execute('docmanager:open', { path: run.link.path })
                .then(() => {
                  openPanel();
                  model.showExecution(run.link, run.execution.id);
                });
            }
          }
        });
        void runsViews.add(runsView);
      }
      if (!runsView.isAttached) {
        app.shell.add(runsView, 'main');
        // Jupyter Notebook 7 keeps one widget in a page's main area: there
        // the view opens in the right sidebar.
        if (!runsView.isAttached) {
          app.shell.add(runsView, 'right', { rank: 900 });
        }
      }
      app.shell.activateById(runsView.id);
    };

    addCommands({
      commands: app.commands,
      model,
      trans,
      openPanel,
      openRuns: () => openRuns()
    });
    if (palette) {
      addToPalette(palette);
    }
    launcher?.add({
      command: CommandIDs.openRuns,
      category: trans.__('Other'),
      rank: 50
    });

    if (fileBrowser) {
      addBrowserCommands({
        commands: app.commands,
        model,
        trans,
        selection: () => [...fileBrowser.selectedItems()],
        findOpen: path => {
          const panel = tracker.find(w => w.context.path === path);
          return panel
            ? {
                get dirty() {
                  return panel.context.model.dirty;
                },
                save: () => panel.context.save(),
                link: () =>
                  parseLink(panel.context.model.getMetadata(METADATA_KEY))
              }
            : null;
        },
        openNotebook: path => app.commands.execute('docmanager:open', { path }),
        openPanel,
        openRuns
      });
    }

    if (statusBar) {
      const item = new StatusItem({ model, trans, onClick: () => openRuns() });
      statusBar.registerStatusItem(STATUS_ITEM_ID, {
        item,
        align: 'left',
        rank: 900,
        isActive: () => item.count > 0,
        activeStateChanged: model.runsChanged
      });
    }

    if (state) {
      void model.restoreWorkspace({
        load: () => state.fetch(WORKSPACE_LINKS_KEY),
        save: links =>
          state.save(
            WORKSPACE_LINKS_KEY,
            links as unknown as ReadonlyPartialJSONValue
          )
      });
    }

    // "Show details" of a finished run: its notebook, if open, and the run.
    connectNotifications(
      model,
      trans,
      event => {
        openPanel();
        const link = model.link;
        const owner =
          link && sameLink(link, event)
            ? null
            : findLinkedNotebook(tracker, event);
        if (owner) {
          app.shell.activateById(owner.id);
          openPanel();
        }
        model.showExecution(event, event.execution.id);
      },
      event => {
        openRuns();
        model.overview.show(event, event.execution.id);
      }
    );

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () =>
            model.updateSettings(normalizeSettings(settings.composite as any));
          settings.changed.connect(apply);
          apply();
        })
        .catch(reason => {
          console.warn(
            'jupyter-notebook-remote: settings could not be loaded; using defaults.',
            reason
          );
        });
    }

    void app.restored.then(() => model.start());
    return model;
  }
};

export default plugin;
