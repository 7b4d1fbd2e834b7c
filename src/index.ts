/**
 * Wiring: the sidebar panel, its model, the commands and the settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { RemoteNotebookApi } from './api';
import { addCommands, isCommandEnabled } from './commands';
import { RemoteModel } from './model';
import { PanelNotebookHandle, parseLink } from './notebook';
import { connectNotifications } from './notifications';
import {
  CommandIDs,
  METADATA_KEY,
  normalizeSettings,
  PALETTE_CATEGORY,
  PANEL_ID,
  PLUGIN_ID,
  TRANSLATION_DOMAIN
} from './tokens';
import { IExecution, IExecutionOutput } from './types';
import { RemotePanel } from './widgets/RemotePanel';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Push, run, cancel and watch notebooks on a remote notebook service.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const api = new RemoteNotebookApi({
      serverSettings: app.serviceManager.serverSettings
    });
    const model = new RemoteModel({
      api,
      trans,
      contents: app.serviceManager.contents,
      openPath: path => void app.commands.execute('docmanager:open', { path })
    });

    const handles = new WeakMap<NotebookPanel, PanelNotebookHandle>();
    const follow = (widget: NotebookPanel | null) => {
      if (!widget) {
        model.setNotebook(null);
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
          model.setNotebook(target);
        }
      });
    };
    tracker.currentChanged.connect((_, widget) => follow(widget));
    follow(tracker.currentWidget);

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

    addCommands({ commands: app.commands, model, trans, openPanel });
    if (palette) {
      for (const command of [
        CommandIDs.push,
        CommandIDs.run,
        CommandIDs.pushAndRun,
        CommandIDs.cancel,
        CommandIDs.link,
        CommandIDs.unlink,
        CommandIDs.refresh,
        CommandIDs.openPanel
      ]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }

    connectNotifications(model, trans, event => {
      openPanel();
      const link = model.link;
      if (
        !link ||
        link.connection !== event.connection ||
        link.notebookId !== event.notebookId
      ) {
        const owner = tracker.find(widget => {
          const other = parseLink(
            widget.context.model.getMetadata(METADATA_KEY)
          );
          return (
            !!other &&
            other.connection === event.connection &&
            other.notebookId === event.notebookId
          );
        });
        if (owner) {
          app.shell.activateById(owner.id);
          openPanel();
        }
      }
      model.showExecution(event, event.execution.id);
    });

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
  }
};

export default plugin;
