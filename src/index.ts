/**
 * Wiring: the model (provided to other plugins as INotebookRemote), the
 * sidebar panel, the commands, the notifications and the settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { RemoteNotebookApi } from './api';
import { addCommands, addToPalette, isCommandEnabled } from './commands';
import { RemoteModel } from './model';
import { findLinkedNotebook, followActiveNotebook, sameLink } from './notebook';
import { connectNotifications } from './notifications';
import {
  INotebookRemote,
  normalizeSettings,
  PANEL_ID,
  PLUGIN_ID,
  TRANSLATION_DOMAIN
} from './tokens';
import { IExecution, IExecutionOutput } from './types';
import { RemotePanel } from './widgets/RemotePanel';

const plugin: JupyterFrontEndPlugin<INotebookRemote> = {
  id: PLUGIN_ID,
  description:
    'Push, run, cancel and watch notebooks on a remote notebook service.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  provides: INotebookRemote,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
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

    addCommands({ commands: app.commands, model, trans, openPanel });
    if (palette) {
      addToPalette(palette);
    }

    // "Show details" of a finished run: its notebook, if open, and the run.
    connectNotifications(model, trans, event => {
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
    return model;
  }
};

export default plugin;
