/**
 * Each kind as the server describes it: a run driven through the model asks
 * only what the connection can do (its `capabilities`), and each kind shows
 * what it has: a run history, a live server to open, or a run count.
 */
import { isCommandEnabled } from '../commands';
import { CommandIDs } from '../tokens';
import { Capability } from '../types';
import {
  advance,
  connection,
  execution,
  FakeServer,
  IRecordedRequest,
  json,
  linkedNotebook,
  modelOf,
  NB_ID,
  route
} from './fakes';

const ALL: Capability[] = [
  'list',
  'create',
  'rename',
  'delete',
  'push',
  'execute',
  'cancel',
  'logs',
  'usage',
  'inputExport',
  'schedule',
  'pull',
  'open'
];

/**
 * What each kind cannot do: its provider's `unsupported` (a kind can do
 * every other capability), as `GET connections` answers it.
 */
const LACKS: { [kind: string]: Capability[] } = {
  local: ['inputExport', 'open'],
  losant: ['open', 'schedule'],
  civis: ['inputExport', 'schedule'],
  fourpointx: ['push', 'cancel', 'logs', 'usage', 'inputExport', 'pull', 'open']
};

/** The capability a request of the REST client needs (null: none). */
function needs(request: IRecordedRequest): string | null {
  const path = route(request);
  const method = request.method;
  // connections/{conn}/notebooks/{nb}/...
  const [, , , notebook, ...rest] = path.split('/');
  const tail = rest.join('/');
  if (!path.includes('/notebooks')) {
    return null;
  }
  if (notebook === undefined) {
    return method === 'POST' ? 'create' : 'list';
  }
  if (tail === '') {
    return { DELETE: 'delete', PATCH: 'rename' }[method] ?? 'list';
  }
  if (tail === 'executions') {
    return method === 'POST' ? 'execute' : 'logs';
  }
  const last = rest[rest.length - 1];
  if (last === 'cancel' || last === 'open') {
    return last;
  }
  if (tail.includes('/files/')) {
    return 'logs';
  }
  return { 'input-export': 'inputExport', file: 'pull' }[tail] ?? tail;
}

/** A tab opened for a live run, as `window.open('', '_blank')` gives it. */
function fakeTab() {
  return {
    opener: {} as unknown,
    location: { replace: jest.fn() },
    close: jest.fn()
  };
}

/**
 * A model on a connection of `kind`, following a linked notebook with the
 * panel shown, after a Run of it.
 */
async function ranOn(kind: string) {
  const server = new FakeServer();
  const capabilities = ALL.filter(c => !LACKS[kind].includes(c));
  server.connections = [connection('k', kind, capabilities)];
  server.defaultConnection = 'k';
  if (kind === 'fourpointx') {
    // 4pointx keeps a count and a time, no history.
    Object.assign(server.notebooks.get(NB_ID)!, {
      runCount: 2,
      lastRunAt: null
    });
  }
  const tab = fakeTab();
  const model = modelOf(server, {
    openTab: () => tab as unknown as Window
  });
  model.setVisible(true);
  model.setNotebook(linkedNotebook('work/sales.ipynb', NB_ID, 'k'));
  await model.start();
  await advance(10);
  const id = await model.run();
  await advance(10);
  return { server, model, tab, id: id!, capabilities };
}

/** The requests to capabilities the connection lacks, as "METHOD route". */
function beyond(server: FakeServer, capabilities: Capability[]): string[] {
  return server.requests
    .filter(r => {
      const need = needs(r);
      return need !== null && !capabilities.includes(need as Capability);
    })
    .map(r => `${r.method} ${route(r)}`);
}

describe('each kind, asked only what it can do', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it.each(['local', 'losant', 'civis', 'fourpointx'])(
    '%s: a run, watched to its end, opened where it is live, then deleted',
    async kind => {
      const { server, model, id, capabilities } = await ranOn(kind);
      expect(id).toBeTruthy();
      const hasRuns = model.can('logs');
      expect(hasRuns).toBe(kind !== 'fourpointx');
      if (hasRuns) {
        server.runs.get(NB_ID)![0] = execution(id, 'inProgress');
      }
      await advance(2000);
      await model.openRun(id);
      if (hasRuns) {
        server.setStatus(NB_ID, id, 'completed');
      }
      await advance(10 * 60_000);
      await model.deleteRemote();
      await advance(10);
      expect(beyond(server, capabilities)).toEqual([]);
      // What each kind can do was asked for.
      expect(server.count('POST', `k/notebooks/${NB_ID}/executions`)).toBe(1);
      expect(server.count('DELETE', `k/notebooks/${NB_ID}`)).toBe(1);
      expect(server.runChecks(NB_ID, 'k') > 0).toBe(hasRuns);
      expect(server.count('GET', '/open')).toBe(kind === 'civis' ? 1 : 0);
      expect(model.goingCount).toBe(0);
      model.dispose();
    }
  );

  it('fourpointx: no run history is asked for; its run count is read again after the run; nothing is watched', async () => {
    const { server, model } = await ranOn('fourpointx');
    expect(server.runChecks(NB_ID, 'k')).toBe(0);
    expect(model.executions).toEqual([]);
    expect(model.error('runs')).toBeNull();
    expect(model.remoteNotebook?.runCount).toBe(3);
    expect(model.remoteNotebook?.lastRunAt).toBe('2026-11-22T05:00:00.000Z');
    expect(model.goingCount).toBe(0);
    // Nothing is left to poll: ten minutes later, not one more request.
    const before = server.requests.length;
    await advance(10 * 60_000);
    expect(server.requests.length).toBe(before);
    model.dispose();
  });

  it('fourpointx: a run from the file browser is not watched either', async () => {
    const { server, model } = await ranOn('fourpointx');
    const link = { connection: 'k', notebookId: NB_ID };
    await model.runFile('work/sales.ipynb', link);
    await advance(10);
    expect(model.goingCount).toBe(0);
    expect(model.remoteNotebook?.runCount).toBe(4);
    await advance(10 * 60_000);
    expect(server.runChecks(NB_ID, 'k')).toBe(0);
    model.dispose();
  });

  it('civis: a sleeping deployment is still going, polled and stoppable', async () => {
    const { server, model, id } = await ranOn('civis');
    server.runs.get(NB_ID)![0] = execution(id, 'inProgress', {
      remoteState: 'sleeping',
      remoteMessage: 'Notebook server is asleep after being idle'
    });
    await advance(2000);
    expect(model.selectedExecution?.remoteState).toBe('sleeping');
    expect(model.cancelTarget?.id).toBe(id);
    expect(isCommandEnabled(model, CommandIDs.cancel)).toBe(true);
    expect(model.goingCount).toBe(1);
    // Polled at the quick interval while it sleeps.
    const checks = server.runChecks(NB_ID, 'k');
    await advance(2000);
    expect(server.runChecks(NB_ID, 'k')).toBe(checks + 1);
    expect(await model.cancel(id)).toBe(true);
    expect(server.count('POST', `/executions/${id}/cancel`)).toBe(1);
    model.dispose();
  });

  it('civis: Open asks for a fresh signed URL on each click and hands it to the new tab; not running is said plainly', async () => {
    const { server, model, tab, id } = await ranOn('civis');
    expect(await model.openRun(id)).toBe(true);
    expect(tab.opener).toBeNull();
    expect(tab.location.replace).toHaveBeenCalledWith(server.openUrl);
    server.openUrl =
      'https://deployment-301.notebooks.civis.test/auth?token=t2';
    expect(await model.openRun(id)).toBe(true);
    expect(tab.location.replace).toHaveBeenLastCalledWith(server.openUrl);
    expect(server.count('GET', `/executions/${id}/open`)).toBe(2);
    // The model keeps no URL: none is in what it shows.
    expect(JSON.stringify(model.executions)).not.toContain('token=');

    server.fail(
      '/open',
      json(
        {
          message: `Deployment ${id} is not up (terminated); run the notebook again to open it.`,
          reason: 'not_running'
        },
        409
      )
    );
    const checks = server.runChecks(NB_ID, 'k');
    expect(await model.openRun(id)).toBe(false);
    expect(tab.close).toHaveBeenCalledTimes(1);
    expect(model.error('details')).toMatchObject({
      reason: 'not_running',
      message: expect.stringContaining('not up')
    });
    await advance(10);
    expect(server.runChecks(NB_ID, 'k')).toBe(checks + 1);
    model.dispose();
  });

  it('a blocked tab is said, and nothing is asked', async () => {
    const server = new FakeServer();
    server.connections = [connection('k', 'civis', ['list', 'logs', 'open'])];
    const model = modelOf(server, { openTab: () => null });
    model.setNotebook(linkedNotebook('work/sales.ipynb', NB_ID, 'k'));
    await model.start();
    expect(await model.openRun('301')).toBe(false);
    expect(model.error('details')?.message).toContain('blocked');
    expect(server.count('GET', '/open')).toBe(0);
    model.dispose();
  });

  it('delete removes the link from the notebook and nothing else; a kind without delete is not asked', async () => {
    const { server, model } = await ranOn('civis');
    const notebook = model.notebook!;
    expect(await model.deleteRemote()).toBe(true);
    expect(notebook.getLink()).toBeNull();
    expect(model.link).toBeNull();
    expect(model.workspace.list).toEqual([]);
    expect(notebook.path).toBe('work/sales.ipynb');
    model.dispose();

    server.connections = [connection('k', 'losant', ['list', 'logs'])];
    const other = modelOf(server);
    other.setNotebook(linkedNotebook('work/sales.ipynb', NB_ID, 'k'));
    await other.start();
    expect(await other.deleteRemote()).toBe(false);
    expect(server.count('DELETE', `k/notebooks/${NB_ID}`)).toBe(1);
    other.dispose();
  });

  it('asks for no runs while the connections, and so their capabilities, are unknown', async () => {
    const server = new FakeServer();
    server.fail('connections', json({ message: 'down', reason: 'x' }, 502));
    const model = modelOf(server);
    model.setVisible(true);
    model.setNotebook(linkedNotebook());
    await model.start();
    await advance(60_000);
    expect(server.runChecks()).toBe(0);
    expect(server.count('GET', '/usage')).toBe(0);
    model.dispose();
  });
});
