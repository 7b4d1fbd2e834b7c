/**
 * The plugin provides INotebookRemote: another plugin that requires it gets
 * the connections, the active notebook's link and its runs (while the panel
 * is shown).
 */
import { INotebookTracker } from '@jupyterlab/notebook';
import { Application, IPlugin } from '@lumino/application';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import plugin from '../index';
import { INotebookRemote, METADATA_KEY } from '../tokens';
import { execution, FakeServer, NB_ID, settle } from './fakes';

/** Just enough of the JupyterLab shell for the plugin. */
class Shell extends Widget {
  add(widget: Widget): void {
    this.added.push(widget);
  }
  activateById(): void {
    // Nothing to show in a test.
  }
  added: Widget[] = [];
}

/** Just enough of JupyterLab: the shell, the services, the restore. */
class Lab extends Application<Shell> {
  constructor(server: FakeServer) {
    super({ shell: new Shell() });
    this.serviceManager = {
      serverSettings: server.serverSettings,
      contents: {}
    };
  }
  readonly serviceManager: unknown;
  readonly restored = Promise.resolve();
}

/** Just enough of a notebook panel for the model to follow it. */
function notebookPanel(path: string, metadata: { [key: string]: unknown }) {
  const owner = {};
  return {
    id: `panel-${path}`,
    disposed: new Signal(owner),
    context: {
      path,
      ready: Promise.resolve(),
      pathChanged: new Signal(owner),
      fileChanged: new Signal(owner),
      contentsModel: { last_modified: '2026-11-22T04:00:00.000Z', size: 10 },
      save: async () => undefined,
      model: {
        dirty: false,
        stateChanged: new Signal(owner),
        metadataChanged: new Signal(owner),
        getMetadata: (key: string) => metadata[key]
      }
    }
  };
}

/** A notebook tracker whose active notebook the test sets. */
function tracker() {
  const owner = {};
  return {
    currentWidget: null as unknown,
    currentChanged: new Signal<unknown, unknown>(owner),
    find: () => undefined,
    activate(widget: unknown) {
      this.currentWidget = widget;
      this.currentChanged.emit(widget);
    }
  };
}

describe('plugin', () => {
  it('provides INotebookRemote that follows the active notebook', async () => {
    const server = new FakeServer();
    server.runs.set(NB_ID, [execution('e1', 'completed')]);
    const lab = new Lab(server);
    const notebooks = tracker();
    let remote: INotebookRemote | null = null;
    const consumer: IPlugin<Lab, void> = {
      id: 'test:consumer',
      requires: [INotebookRemote],
      activate: (_, service: INotebookRemote) => {
        remote = service;
      }
    };
    lab.registerPlugin({
      id: 'test:tracker',
      provides: INotebookTracker,
      activate: () => notebooks
    });
    lab.registerPlugin(plugin as unknown as IPlugin<Lab, INotebookRemote>);
    lab.registerPlugin(consumer);
    await lab.activatePlugin(consumer.id);
    expect(remote).not.toBeNull();
    const service = remote!;
    expect(lab.shell.added.map(w => w.id)).toEqual(['notebook-remote-panel']);

    const changed: string[] = [];
    service.connectionsChanged.connect(() => changed.push('connections'));
    service.linkChanged.connect(() => changed.push('link'));
    await settle();
    expect(service.connections.map(c => c.id)).toEqual(['local', 'plant-a']);
    expect(changed).toEqual(['connections']);

    // Runs are checked while the panel is shown.
    const panel = lab.shell.added[0];
    panel.hide();
    Widget.attach(panel, document.body);
    panel.show();

    notebooks.activate(
      notebookPanel('work/sales.ipynb', {
        [METADATA_KEY]: { connection: 'local', notebookId: NB_ID }
      })
    );
    await settle();
    expect(changed).toContain('link');
    expect(service.link).toEqual({ connection: 'local', notebookId: NB_ID });
    expect(service.executions.map(e => e.id)).toEqual(['e1']);
    panel.dispose();
  });
});
