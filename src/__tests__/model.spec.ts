import { Contents } from '@jupyterlab/services';

import { RemoteModel } from '../model';
import { DEFAULT_SETTINGS } from '../tokens';
import { IExecution } from '../types';
import {
  execution,
  FakeNotebook,
  fakeApi,
  IRecordedRequest,
  json,
  NB_ID,
  noContent,
  OTHER_NB_ID,
  route
} from './fakes';

const LOCAL = {
  id: 'local',
  kind: 'local',
  label: 'This machine',
  authConfigured: true,
  needsToken: false,
  capabilities: [
    'list',
    'create',
    'rename',
    'push',
    'execute',
    'cancel',
    'logs',
    'usage'
  ],
  unsupported: { inputExport: 'runs on this machine get no data inputs' }
};

const LOSANT = {
  id: 'plant-a',
  kind: 'losant',
  label: 'Plant A',
  authConfigured: false,
  needsToken: true,
  capabilities: [
    'list',
    'push',
    'execute',
    'cancel',
    'logs',
    'usage',
    'inputExport'
  ],
  unsupported: {}
};

/** A scripted extension: runs per notebook, answers per route. */
class FakeServer {
  runs = new Map<string, IExecution[]>([
    [NB_ID, []],
    [OTHER_NB_ID, []]
  ]);
  failRuns: Response | null = null;
  nextExecutionId = 'aaaaaaaaaaaaaaaaaaaaaa01';
  requests: IRecordedRequest[] = [];
  log = '';

  respond = (request: IRecordedRequest): Response => {
    const path = route(request);
    const parts = path.split('/');
    if (path === 'connections') {
      return json({ default: 'local', connections: [LOCAL, LOSANT] });
    }
    if (parts[3] === undefined && request.method === 'POST') {
      const body = JSON.parse(request.body!);
      return json({ id: OTHER_NB_ID, name: body.name, description: '' }, 201);
    }
    if (parts[3] === undefined) {
      return json({
        items: [{ id: NB_ID, name: 'sales', description: '' }],
        count: 1,
        totalCount: 1,
        page: 0,
        perPage: 50
      });
    }
    const notebookId = parts[3];
    const rest = parts.slice(4).join('/');
    if (rest === '') {
      return json({
        id: notebookId,
        name: notebookId === NB_ID ? 'sales' : 'other',
        description: '',
        updatedAt: '2026-11-22T03:00:00.000Z'
      });
    }
    if (rest === 'push') {
      return json({ id: notebookId, name: 'sales', description: '' });
    }
    if (rest === 'usage') {
      return json({ start: 's', end: 'e', totalMinutes: 0, days: [] });
    }
    if (rest === 'executions' && request.method === 'POST') {
      const id = this.nextExecutionId;
      this.runs.get(notebookId)!.unshift(execution(id, 'queued'));
      return json({ executionId: id }, 202);
    }
    if (rest === 'executions') {
      if (this.failRuns) {
        return this.failRuns.clone();
      }
      return json({ items: this.runs.get(notebookId) ?? [] });
    }
    if (rest.endsWith('/cancel')) {
      return json({ success: true });
    }
    if (rest.includes('/files/')) {
      const name = decodeURIComponent(parts[parts.length - 1]);
      if (name === 'result.log') {
        return new Response(this.log);
      }
      return new Response(
        JSON.stringify({
          cells: [],
          metadata: {
            kernelspec: { name: 'python3' },
            notebook_remote: { connection: 'local', notebookId: NB_ID }
          },
          nbformat: 4,
          nbformat_minor: 5
        })
      );
    }
    return noContent();
  };

  /** Set the status of a run of a notebook. */
  setStatus(
    notebookId: string,
    id: string,
    status: IExecution['status']
  ): void {
    const runs = this.runs.get(notebookId)!;
    const index = runs.findIndex(r => r.id === id);
    runs[index] = execution(id, status);
  }

  runChecks(notebookId = NB_ID): number {
    return this.requests.filter(
      r =>
        r.method === 'GET' &&
        route(r) === `connections/local/notebooks/${notebookId}/executions`
    ).length;
  }
}

function setup(
  options: { link?: boolean; settings?: Partial<typeof DEFAULT_SETTINGS> } = {}
) {
  const server = new FakeServer();
  const { api, requests } = fakeApi(server.respond);
  server.requests = requests;
  const notebook = new FakeNotebook(
    'work/sales.ipynb',
    options.link === false ? null : { connection: 'local', notebookId: NB_ID }
  );
  const model = new RemoteModel({
    api,
    settings: options.settings,
    now: () => Date.now()
  });
  return { server, model, notebook, requests };
}

/** Let timers up to `ms` fire and promises settle. */
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

describe('RemoteModel polling', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('polls quickly while a run is active', async () => {
    const { server, model, notebook } = setup();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const first = server.runChecks();
    expect(first).toBeGreaterThanOrEqual(1);
    expect(model.executions[0].status).toBe('inProgress');
    expect(model.poll.frequency.interval).toBe(2000);
    await advance(2000);
    expect(server.runChecks()).toBe(first + 1);
    await advance(2000);
    expect(server.runChecks()).toBe(first + 2);
    model.dispose();
  });

  it('backs off when nothing runs, up to the max interval', async () => {
    const { server, model, notebook } = setup();
    server.runs.set(NB_ID, [execution('e1', 'completed')]);
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const first = server.runChecks();
    // Idle: 30 s first, doubled after each quiet check, never above 120 s.
    expect(model.poll.frequency.interval).toBe(30000);
    await advance(29000);
    expect(server.runChecks()).toBe(first);
    await advance(1000);
    expect(server.runChecks()).toBe(first + 1);
    expect(model.poll.frequency.interval).toBe(60000);
    await advance(59000);
    expect(server.runChecks()).toBe(first + 1);
    await advance(1000);
    expect(server.runChecks()).toBe(first + 2);
    expect(model.poll.frequency.interval).toBe(120000);
    await advance(120000);
    expect(server.runChecks()).toBe(first + 3);
    expect(model.poll.frequency.interval).toBe(120000);
    await advance(120000);
    expect(server.runChecks()).toBe(first + 4);
    model.dispose();
  });

  it('speeds up again when a run starts, and the refresh action checks at once', async () => {
    const { server, model, notebook } = setup();
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const before = server.runChecks();
    await model.refresh();
    await advance(10);
    expect(server.runChecks()).toBe(before + 1);
    server.runs.set(NB_ID, [execution('e2', 'queued')]);
    await model.refresh();
    await advance(10);
    expect(model.hasActiveRun).toBe(true);
    expect(model.poll.frequency.interval).toBe(2000);
    const active = server.runChecks();
    await advance(2000);
    expect(server.runChecks()).toBe(active + 1);
    model.dispose();
  });

  it('takes its intervals from the settings', async () => {
    const { server, model, notebook } = setup({
      settings: { activeInterval: 500, idleInterval: 5000, maxInterval: 8000 }
    });
    server.runs.set(NB_ID, [execution('e1', 'queued')]);
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    expect(model.poll.frequency.interval).toBe(500);
    const first = server.runChecks();
    await advance(500);
    expect(server.runChecks()).toBe(first + 1);
    server.setStatus(NB_ID, 'e1', 'completed');
    await advance(500);
    expect(model.poll.frequency.interval).toBe(5000);
    expect(model.poll.frequency.max).toBe(8000);
    model.dispose();
  });

  it('stands by while the panel is hidden and checks at once when shown', async () => {
    const { server, model, notebook } = setup();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    model.setVisible(false);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const hiddenStart = server.runChecks();
    await advance(60000);
    expect(server.runChecks()).toBe(hiddenStart);
    expect(model.poll.state.phase).toBe('standby');
    model.setVisible(true);
    await advance(10);
    expect(server.runChecks()).toBe(hiddenStart + 1);
    model.setVisible(false);
    await advance(60000);
    expect(server.runChecks()).toBe(hiddenStart + 1);
    model.dispose();
  });

  it('stops polling when disposed', async () => {
    const { server, model, notebook } = setup();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const count = server.runChecks();
    model.dispose();
    expect(model.poll.isDisposed).toBe(true);
    await advance(60000);
    expect(server.runChecks()).toBe(count);
  });

  it('shows a failing check in the server words, backs off, and recovers', async () => {
    const { server, model, notebook } = setup();
    server.failRuns = json(
      {
        message: 'The remote service did not answer.',
        reason: 'remote_unreachable'
      },
      502
    );
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    expect(model.error('runs')).toEqual({
      message: 'The remote service did not answer.',
      reason: 'remote_unreachable',
      fields: {}
    });
    expect(model.poll.state.phase).toBe('rejected');
    // Failing checks back off: after the first retry, each waits at least
    // the idle interval, and never more than the max interval.
    const times: number[] = [];
    let seen = server.runChecks();
    for (let t = 0; t < 600; t++) {
      await advance(1000);
      if (server.runChecks() > seen) {
        seen = server.runChecks();
        times.push(t);
      }
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(times.length).toBeLessThan(15);
    expect(gaps.length).toBeGreaterThan(2);
    for (const gap of gaps.slice(1)) {
      expect(gap).toBeGreaterThanOrEqual(29);
      expect(gap).toBeLessThanOrEqual(121);
    }
    const failed = server.runChecks();
    server.failRuns = null;
    await advance(240000);
    expect(server.runChecks()).toBeGreaterThan(failed);
    expect(model.error('runs')).toBeNull();
    model.dispose();
  });

  it('waits as long as the server asks on 429', async () => {
    const { server, model, notebook } = setup();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    server.failRuns = json(
      { message: 'Too many requests; retry in 10 s.', reason: 'rate_limited' },
      429,
      { 'Retry-After': '10' }
    );
    await advance(2000);
    expect(model.error('runs')?.reason).toBe('rate_limited');
    const limited = server.runChecks();
    await advance(9000);
    expect(server.runChecks()).toBe(limited);
    server.failRuns = null;
    await advance(1000);
    expect(server.runChecks()).toBe(limited + 1);
    expect(model.error('runs')).toBeNull();
    expect(model.poll.frequency.interval).toBe(2000);
    model.dispose();
  });

  it('announces a run started here exactly once when it finishes, even while hidden', async () => {
    const { server, model, notebook } = setup();
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const finished: string[] = [];
    model.runFinished.connect((_, event) => {
      finished.push(`${event.notebookName}:${event.execution.status}`);
    });
    const id = await model.run();
    expect(id).toBe(server.nextExecutionId);
    expect(model.selectedExecutionId).toBe(id);
    await advance(10);
    expect(model.executions[0].status).toBe('queued');
    model.setVisible(false);
    server.setStatus(NB_ID, id!, 'inProgress');
    await advance(2000);
    expect(model.executions[0].status).toBe('inProgress');
    expect(finished).toEqual([]);
    server.setStatus(NB_ID, id!, 'errored');
    await advance(2000);
    expect(finished).toEqual(['sales:errored']);
    await advance(2000);
    model.setVisible(true);
    await model.refresh();
    await advance(10);
    expect(finished).toEqual(['sales:errored']);
    model.dispose();
  });

  it('keeps a shown log current while its run is going', async () => {
    const { server, model, notebook, requests } = setup();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    server.log = 'cell 1 started';
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    model.selectExecution('e1');
    await model.loadLog('e1');
    expect(model.log?.text).toBe('cell 1 started');
    server.log = 'cell 1 started\ncell 1 done';
    await advance(2000);
    expect(model.log?.text).toBe('cell 1 started\ncell 1 done');
    server.setStatus(NB_ID, 'e1', 'completed');
    server.log = 'cell 1 started\ncell 1 done\nrun completed';
    await advance(2000);
    expect(model.log?.text).toContain('run completed');
    const fetches = () =>
      requests.filter(r => route(r).endsWith('/files/result.log')).length;
    const after = fetches();
    await model.refresh();
    await advance(40000);
    expect(fetches()).toBe(after);
    model.dispose();
  });

  it('does not announce runs it did not start', async () => {
    const { server, model, notebook } = setup();
    server.runs.set(NB_ID, [execution('e1', 'inProgress')]);
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const finished: string[] = [];
    model.runFinished.connect((_, event) => finished.push(event.execution.id));
    server.setStatus(NB_ID, 'e1', 'completed');
    await advance(2000);
    expect(model.executions[0].status).toBe('completed');
    expect(finished).toEqual([]);
    model.dispose();
  });

  it('follows a run of another notebook after switching notebooks', async () => {
    const { server, model, notebook } = setup();
    model.setVisible(true);
    model.setNotebook(notebook);
    await model.start();
    await advance(10);
    const finished: string[] = [];
    model.runFinished.connect((_, event) => finished.push(event.notebookId));
    const id = await model.run();
    const other = new FakeNotebook('other.ipynb', {
      connection: 'local',
      notebookId: OTHER_NB_ID
    });
    model.setNotebook(other);
    await advance(10);
    expect(model.executions).toEqual([]);
    server.setStatus(NB_ID, id!, 'completed');
    await advance(2000);
    expect(finished).toEqual([NB_ID]);
    model.dispose();
  });
});

describe('RemoteModel actions', () => {
  it('loads usage of a notebook followed before the connections were known', async () => {
    const { model, notebook } = setup();
    model.setNotebook(notebook);
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(model.usage).toBeNull();
    await model.start();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(model.usage).not.toBeNull();
    expect(model.remoteNotebook?.name).toBe('sales');
    model.dispose();
  });

  it('saves before pushing, then knows the local file matches the push', async () => {
    const { server, model, notebook, requests } = setup();
    await model.loadConnections();
    model.setNotebook(notebook);
    notebook.edit();
    expect(model.localChangedSincePush).toBe(true);
    const order: string[] = [];
    const save = notebook.save.bind(notebook);
    notebook.save = async () => {
      order.push('save');
      await save();
    };
    const pushing = model.push();
    expect(model.pushProgress?.stage).toBe('saving');
    expect(await pushing).toBe(true);
    const push = requests.find(r => route(r).endsWith('/push'))!;
    order.push('push');
    expect(order).toEqual(['save', 'push']);
    expect(JSON.parse(push.body!)).toEqual({ path: 'work/sales.ipynb' });
    expect(model.pushProgress).toBeNull();
    expect(model.localChangedSincePush).toBe(false);
    notebook.edit();
    expect(model.localChangedSincePush).toBe(true);
    expect(server.runChecks()).toBe(0);
    model.dispose();
  });

  it('does not run when the push failed', async () => {
    const { model, notebook, requests } = setup();
    await model.loadConnections();
    model.setNotebook(notebook);
    notebook.save = async () => {
      throw new Error('Disk full');
    };
    expect(await model.pushAndRun()).toBeNull();
    expect(model.error('actions')?.message).toBe('Disk full');
    expect(requests.some(r => r.method === 'POST')).toBe(false);
    model.dispose();
  });

  it('picks the connection of the link, offers only what it can do and says why', async () => {
    const { model, notebook } = setup();
    await model.loadConnections();
    expect(model.connectionId).toBe('local');
    model.setNotebook(notebook);
    expect(model.can('push')).toBe(true);
    expect(model.can('inputExport')).toBe(false);
    expect(model.whyNot('inputExport')).toBe(
      'runs on this machine get no data inputs'
    );
    expect(model.needsToken()).toBe(false);
    model.selectConnection('plant-a');
    expect(model.needsToken()).toBe(true);
    model.dispose();
  });

  it('links by creating a remote notebook named after the file', async () => {
    const { model, notebook, requests } = setup({ link: false });
    await model.loadConnections();
    model.setNotebook(notebook);
    expect(model.defaultRemoteName).toBe('sales');
    model.openChooser();
    expect(model.chooser).not.toBeNull();
    expect(await model.createAndLink('  ')).toBe(false);
    expect(model.error('link')?.reason).toBe('invalid_input');
    expect(await model.createAndLink(model.defaultRemoteName)).toBe(true);
    const create = requests.find(
      r => r.method === 'POST' && route(r) === 'connections/local/notebooks'
    )!;
    expect(JSON.parse(create.body!)).toEqual({ name: 'sales' });
    expect(notebook.getLink()).toEqual({
      connection: 'local',
      notebookId: OTHER_NB_ID
    });
    expect(model.chooser).toBeNull();
    model.unlink();
    expect(notebook.getLink()).toBeNull();
    model.dispose();
  });

  it('cancels the selected active run and shows it canceling', async () => {
    const { server, model, notebook, requests } = setup();
    server.runs.set(NB_ID, [
      execution('e2', 'completed'),
      execution('e1', 'inProgress')
    ]);
    model.setVisible(true);
    await model.loadConnections();
    model.setNotebook(notebook);
    await model.refresh();
    await new Promise(resolve => setTimeout(resolve, 20));
    model.selectExecution('e2');
    expect(model.cancelTarget?.id).toBe('e1');
    model.selectExecution('e1');
    expect(await model.cancel('e1')).toBe(true);
    expect(requests.some(r => route(r).endsWith('/executions/e1/cancel'))).toBe(
      true
    );
    expect(model.executions.find(e => e.id === 'e1')?.status).toBe('canceling');
    expect(model.cancelTarget).toBeNull();
    model.dispose();
  });

  it('validates the export email before asking the server', async () => {
    const { model, notebook, requests } = setup();
    await model.loadConnections();
    model.setNotebook(notebook);
    const before = requests.length;
    expect(await model.requestInputExport('not-an-email')).toBe(false);
    expect(model.error('notebook')?.fields).toEqual({
      email: 'is not an email address'
    });
    expect(requests.length).toBe(before);
    model.dispose();
  });

  it('saves result.ipynb next to the notebook without overwriting, then opens it', async () => {
    const { model, notebook } = setup();
    const existing = new Set(['work/sales.result-aaaaaa.ipynb']);
    const saved: [string, Partial<Contents.IModel>][] = [];
    const contents = {
      get: async (path: string) => {
        if (existing.has(path)) {
          return { path } as Contents.IModel;
        }
        throw new Error('404');
      },
      save: async (path: string, options: Partial<Contents.IModel>) => {
        saved.push([path, options]);
        existing.add(path);
        return { path } as Contents.IModel;
      }
    } as unknown as Contents.IManager;
    const opened: string[] = [];
    const api = model.api;
    const withContents = new RemoteModel({
      api,
      contents,
      openPath: path => opened.push(path)
    });
    await withContents.loadConnections();
    withContents.setNotebook(notebook);
    const path = await withContents.openResultNotebook(
      'aaaaaa000000000000000001'
    );
    expect(path).toBe('work/sales.result-aaaaaa-1.ipynb');
    expect(saved[0][0]).toBe('work/sales.result-aaaaaa-1.ipynb');
    expect(saved[0][1]).toMatchObject({ type: 'notebook', format: 'json' });
    expect((saved[0][1].content as any).nbformat).toBe(4);
    // The copy keeps its metadata but not the link to the remote notebook.
    expect((saved[0][1].content as any).metadata).toEqual({
      kernelspec: { name: 'python3' }
    });
    expect(opened).toEqual(['work/sales.result-aaaaaa-1.ipynb']);
    withContents.dispose();
    model.dispose();
  });
});
