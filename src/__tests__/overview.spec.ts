/**
 * The "Remote runs" view's model, the status bar's count and the file
 * browser's push and run: what the one poll checks for them, filters,
 * cancel, the workspace's linked notebooks, and failure announcements.
 */
import { Notification } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { addBrowserCommands } from '../browser';
import { connectNotifications } from '../notifications';
import { CommandIDs } from '../tokens';
import { IWorkspaceLink } from '../models/workspace';
import { StatusItem } from '../widgets/StatusItem';
import {
  advance,
  execution,
  FakeServer,
  linkedNotebook,
  LOSANT,
  modelOf,
  NB_ID,
  OTHER_NB_ID,
  route
} from './fakes';

const trans = nullTranslator.load('jupyter_notebook_remote');
const OTHER = { connection: 'local', notebookId: OTHER_NB_ID };
const ON_LOSANT = { connection: 'plant-a', notebookId: NB_ID };

/** A started model that follows a linked notebook; the panel hidden. */
async function started(server = new FakeServer()) {
  const model = modelOf(server);
  model.setNotebook(linkedNotebook());
  await model.start();
  await advance(10);
  return { server, model };
}

describe('Remote runs view', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('checks every notebook of the workspace once a tick while shown, none while hidden', async () => {
    const { server, model } = await started();
    model.workspace.note('work/other.ipynb', OTHER, 'other');
    server.runs.get(OTHER_NB_ID)!.push(execution('o1', 'completed'));
    await advance(120_000);
    // Hidden: the other notebook is never asked.
    expect(server.runChecks(OTHER_NB_ID)).toBe(0);
    const linkedBefore = server.runChecks(NB_ID);

    model.overview.setVisible(true);
    await advance(10);
    expect(server.runChecks(OTHER_NB_ID)).toBe(1);
    // The linked notebook's check is shared: asked once for panel and view.
    expect(server.runChecks(NB_ID)).toBe(linkedBefore + 1);
    expect(model.overview.runs.map(r => r.execution.id)).toEqual(['o1']);

    model.overview.setVisible(false);
    const hiddenAt = server.runChecks(OTHER_NB_ID);
    await advance(600_000);
    expect(server.runChecks(OTHER_NB_ID)).toBe(hiddenAt);
    model.dispose();
  });

  it('shows a run started from another tab at the next check, newest first', async () => {
    const { server, model } = await started();
    model.workspace.note('work/other.ipynb', OTHER, 'other');
    server.runs
      .get(OTHER_NB_ID)!
      .push(
        execution('old', 'completed', { queuedAt: '2026-11-20T00:00:00Z' })
      );
    model.overview.setVisible(true);
    await advance(10);
    expect(model.overview.runs.map(r => r.execution.id)).toEqual(['old']);
    // Another tab starts a run of the linked notebook.
    server.runs
      .get(NB_ID)!
      .unshift(
        execution('new', 'inProgress', { queuedAt: '2026-11-23T00:00:00Z' })
      );
    await advance(model.settings.idleInterval);
    expect(model.overview.runs.map(r => r.execution.id)).toEqual([
      'new',
      'old'
    ]);
    // While it goes, the view checks at the quick interval.
    const checks = server.runChecks(OTHER_NB_ID);
    await advance(model.settings.activeInterval);
    expect(server.runChecks(OTHER_NB_ID)).toBe(checks + 1);
    model.dispose();
  });

  it('filters by status, connection and notebook', async () => {
    const server = new FakeServer();
    server.runs.set(NB_ID, [
      execution('a', 'completed', { queuedAt: '2026-11-22T03:00:00Z' }),
      execution('b', 'errored', { queuedAt: '2026-11-22T02:00:00Z' })
    ]);
    server.runs.set(OTHER_NB_ID, [
      execution('c', 'inProgress', { queuedAt: '2026-11-22T04:00:00Z' })
    ]);
    const { model } = await started(server);
    model.workspace.note('work/other.ipynb', OTHER);
    model.overview.setVisible(true);
    await advance(10);
    const ids = () => model.overview.filtered.map(r => r.execution.id);
    expect(ids()).toEqual(['c', 'a', 'b']);
    model.overview.setFilters({ status: 'errored' });
    expect(ids()).toEqual(['b']);
    model.overview.setFilters({ status: 'active' });
    expect(ids()).toEqual(['c']);
    model.overview.setFilters({ status: '', notebook: `local/${NB_ID}` });
    expect(ids()).toEqual(['a', 'b']);
    model.overview.setFilters({ notebook: '', connection: 'plant-a' });
    expect(ids()).toEqual([]);
    model.dispose();
  });

  it('cancels a run and shows it canceling at once', async () => {
    const server = new FakeServer();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    const { model } = await started(server);
    model.overview.setVisible(true);
    await advance(10);
    const [run] = model.overview.runs;
    expect(model.overview.canCancel(run)).toBe(true);
    expect(await model.overview.cancel(run)).toBe(true);
    expect(server.count('POST', `${NB_ID}/executions/e1/cancel`)).toBe(1);
    expect(model.overview.runs[0].execution.status).toBe('canceling');
    expect(model.overview.canCancel(model.overview.runs[0])).toBe(false);
    model.dispose();
  });

  it('names a notebook whose runs could not be read, and keeps the others', async () => {
    const { server, model } = await started();
    model.workspace.note('work/other.ipynb', OTHER, 'other');
    server.runs.get(NB_ID)!.push(execution('mine', 'completed'));
    server.fail(
      r => r.endsWith(`${OTHER_NB_ID}/executions`),
      new Response(JSON.stringify({ message: 'gone', reason: 'not_found' }), {
        status: 404
      })
    );
    model.overview.setVisible(true);
    await advance(10);
    expect(model.overview.errors.map(e => e.link.path)).toEqual([
      'work/other.ipynb'
    ]);
    expect(model.overview.errors[0].error.message).toBe('gone');
    expect(model.overview.runs.map(r => r.execution.id)).toEqual(['mine']);
    model.dispose();
  });
});

describe('Status bar count and failure notices', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts runs started here until they end, shown or not', async () => {
    const { server, model } = await started();
    expect(model.goingCount).toBe(0);
    const id = (await model.run())!;
    expect(model.goingCount).toBe(1);
    server.setStatus(NB_ID, id, 'inProgress');
    await advance(model.settings.activeInterval);
    expect(model.goingCount).toBe(1);
    server.setStatus(NB_ID, id, 'completed');
    await advance(model.settings.activeInterval);
    expect(model.goingCount).toBe(0);
    model.dispose();
  });

  it('counts the going runs the runs view shows, only while shown', async () => {
    const server = new FakeServer();
    server.runs.set(OTHER_NB_ID, [
      execution('x', 'queued'),
      execution('y', 'inProgress'),
      execution('z', 'completed')
    ]);
    const { model } = await started(server);
    model.workspace.note('work/other.ipynb', OTHER);
    model.overview.setVisible(true);
    await advance(10);
    expect(model.goingCount).toBe(2);
    model.overview.setVisible(false);
    expect(model.goingCount).toBe(0);
    model.dispose();
  });

  it('announces once a watched run that ends errored, not one that completes', async () => {
    const server = new FakeServer();
    server.runs.set(OTHER_NB_ID, [
      execution('bad', 'inProgress'),
      execution('good', 'inProgress')
    ]);
    const { model } = await started(server);
    model.workspace.note('work/other.ipynb', OTHER, 'Other');
    const failed: string[] = [];
    model.runFailed.connect((_, e) =>
      failed.push(`${e.notebookName}:${e.execution.id}:${e.execution.status}`)
    );
    model.overview.setVisible(true);
    await advance(10);
    server.setStatus(OTHER_NB_ID, 'bad', 'errored');
    server.setStatus(OTHER_NB_ID, 'good', 'completed');
    await advance(model.settings.activeInterval);
    await advance(model.settings.activeInterval);
    expect(failed).toEqual(['Other:bad:errored']);
    model.dispose();
  });

  it('notifies a watched run that ended errored, with Show details for the runs view', async () => {
    const server = new FakeServer();
    server.runs.set(OTHER_NB_ID, [execution('bad', 'inProgress')]);
    const { model } = await started(server);
    model.workspace.note('work/other.ipynb', OTHER, 'Other');
    const emit = jest.spyOn(Notification, 'emit').mockReturnValue('id');
    const shown: string[] = [];
    connectNotifications(
      model,
      trans,
      () => undefined,
      e => shown.push(`${e.notebookId}/${e.execution.id}`)
    );
    model.overview.setVisible(true);
    await advance(10);
    server.setStatus(OTHER_NB_ID, 'bad', 'errored');
    await advance(model.settings.activeInterval);
    expect(emit).toHaveBeenCalledTimes(1);
    const [message, type, options] = emit.mock.calls[0];
    expect(message).toBe('Run of Other errored');
    expect(type).toBe('error');
    expect(options?.actions?.[0].label).toBe('Show details');
    options!.actions![0].callback(new MouseEvent('click'));
    expect(shown).toEqual([`${OTHER_NB_ID}/bad`]);
    emit.mockRestore();
    model.dispose();
  });
});

describe('Workspace links', () => {
  it('remembers linked notebooks in the workspace and restores them', async () => {
    const saved: IWorkspaceLink[][] = [];
    const server = new FakeServer();
    const model = modelOf(server);
    await model.restoreWorkspace({
      load: async () => [
        { connection: 'local', notebookId: OTHER_NB_ID, path: 'b.ipynb' },
        { nonsense: true }
      ],
      save: async value => saved.push(value)
    });
    model.setNotebook(linkedNotebook('a.ipynb'));
    expect(model.workspace.list.map(l => l.path)).toEqual([
      'a.ipynb',
      'b.ipynb'
    ]);
    expect(saved[saved.length - 1].map(l => l.path)).toEqual([
      'a.ipynb',
      'b.ipynb'
    ]);
    // An unlinked notebook is forgotten; a moved one is known by its new path.
    model.workspace.note('b.ipynb', null);
    model.workspace.note('moved/a.ipynb', {
      connection: 'local',
      notebookId: NB_ID
    });
    expect(model.workspace.list.map(l => l.path)).toEqual(['moved/a.ipynb']);
    model.dispose();
  });
});

describe('File browser commands', () => {
  /** Saved notebooks of the fake contents, by path: their link metadata. */
  function contents(files: { [path: string]: unknown }): Contents.IManager {
    return {
      get: async (path: string) => ({
        path,
        name: path,
        type: 'notebook',
        content: { metadata: { notebook_remote: files[path] } }
      })
    } as unknown as Contents.IManager;
  }

  async function setup(files: { [path: string]: unknown }) {
    const server = new FakeServer();
    const model = modelOf(server, { contents: contents(files) });
    await model.start();
    const commands = new CommandRegistry();
    const selection = Object.keys(files).map(
      path => ({ path, name: path, type: 'notebook' }) as Contents.IModel
    );
    const openedRuns: (string | null)[] = [];
    addBrowserCommands({
      commands,
      model,
      trans,
      selection: () => selection,
      findOpen: () => null,
      openNotebook: async () => undefined,
      openPanel: () => undefined,
      openRuns: link => openedRuns.push(link ? link.notebookId : null)
    });
    const notes = {
      success: jest.spyOn(Notification, 'success').mockReturnValue('id'),
      warning: jest.spyOn(Notification, 'warning').mockReturnValue('id'),
      error: jest.spyOn(Notification, 'error').mockReturnValue('id')
    };
    return { server, model, commands, openedRuns, notes };
  }

  afterEach(() => jest.restoreAllMocks());

  it('pushes and runs every selected linked notebook, and says which are not linked', async () => {
    const { server, model, commands, notes } = await setup({
      'a.ipynb': { connection: 'local', notebookId: NB_ID },
      'b.ipynb': { connection: 'local', notebookId: OTHER_NB_ID },
      'c.ipynb': undefined
    });
    expect(await commands.execute(CommandIDs.browserPush)).toBe(2);
    const pushes = server.requests.filter(r => route(r).endsWith('/push'));
    expect(pushes.map(r => [route(r), JSON.parse(r.body!).path])).toEqual([
      [`connections/local/notebooks/${NB_ID}/push`, 'a.ipynb'],
      [`connections/local/notebooks/${OTHER_NB_ID}/push`, 'b.ipynb']
    ]);
    expect(notes.success.mock.calls[0][0]).toBe('Pushed: a.ipynb, b.ipynb');
    expect(notes.warning.mock.calls[0][0]).toBe(
      'Not linked to a remote notebook: c.ipynb'
    );

    expect(await commands.execute(CommandIDs.browserRun)).toBe(2);
    expect(server.count('POST', `${NB_ID}/executions`)).toBe(1);
    expect(server.count('POST', `${OTHER_NB_ID}/executions`)).toBe(1);
    // Both runs are watched: the status bar counts them.
    expect(model.goingCount).toBe(2);
    // Both notebooks are now known to the workspace (the runs view lists them).
    expect(model.workspace.list.map(l => l.path).sort()).toEqual([
      'a.ipynb',
      'b.ipynb'
    ]);
    model.dispose();
  });

  it('says why a connection that cannot push is skipped', async () => {
    const { server, model, commands, notes } = await setup({
      'l.ipynb': ON_LOSANT
    });
    server.connections = [
      { ...LOSANT, capabilities: ['list', 'execute'], authConfigured: true }
    ];
    await model.loadConnections();
    expect(await commands.execute(CommandIDs.browserPush)).toBe(0);
    expect(server.count('POST', '/push')).toBe(0);
    expect(notes.error).toHaveBeenCalledTimes(1);
    expect(String(notes.error.mock.calls[0][0])).toMatch(/^l\.ipynb: /);
    model.dispose();
  });

  it('opens the runs view on the selected notebook, and offers Link for an unknown one', async () => {
    const { model, commands, openedRuns } = await setup({
      'a.ipynb': { connection: 'local', notebookId: NB_ID }
    });
    // Not read yet: "Link to remote notebook…" is offered.
    expect(commands.isVisible(CommandIDs.browserLink)).toBe(true);
    await commands.execute(CommandIDs.browserOpenRuns);
    expect(openedRuns).toEqual([NB_ID]);
    // Now known as linked: no Link entry.
    expect(commands.isVisible(CommandIDs.browserLink)).toBe(false);
    model.dispose();
  });
});

describe('StatusItem', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('says how many watched runs go, hidden when none, and opens the runs view', async () => {
    const { server, model } = await started();
    let clicks = 0;
    const item = new StatusItem({ model, trans, onClick: () => clicks++ });
    // A Lumino widget (its hidden class only hides one).
    expect(item.node.classList).toContain('lm-Widget');
    expect(item.isHidden).toBe(true);
    const id = (await model.run())!;
    expect(item.isHidden).toBe(false);
    expect(item.node.textContent).toBe('1 remote run active');
    item.node.click();
    expect(clicks).toBe(1);
    server.setStatus(NB_ID, id, 'completed');
    await advance(model.settings.activeInterval);
    expect(item.isHidden).toBe(true);
    item.dispose();
    model.dispose();
  });
});
