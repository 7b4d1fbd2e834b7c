/**
 * Polling the runs (fake timers): how often, standby, backoff, Retry-After,
 * the announcement of runs started here, and a shown log kept current.
 */
import { IRemoteSettings } from '../tokens';
import { IExecution } from '../types';
import {
  advance,
  connection,
  execution,
  FakeNotebook,
  FakeServer,
  json,
  linkedNotebook,
  modelOf,
  NB_ID,
  OTHER_NB_ID,
  route
} from './fakes';

/**
 * A started model following a linked notebook, the panel shown unless
 * `hidden`, after its first checks.
 */
async function started(
  options: {
    runs?: IExecution[];
    hidden?: boolean;
    settings?: Partial<IRemoteSettings>;
  } = {}
) {
  const server = new FakeServer();
  server.runs.set(NB_ID, options.runs ?? []);
  const model = modelOf(server, { settings: options.settings });
  model.setVisible(!options.hidden);
  model.setNotebook(linkedNotebook());
  await model.start();
  await advance(10);
  return { server, model };
}

/** Finished runs of this session, as "<name>:<status>". */
function announced(model: ReturnType<typeof modelOf>): string[] {
  const finished: string[] = [];
  model.runFinished.connect((_, event) => {
    finished.push(`${event.notebookName}:${event.execution.status}`);
  });
  return finished;
}

describe('RemoteModel polling', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('shows older runs than the newest 20 when asked, until there are no more', async () => {
    const runs = Array.from({ length: 25 }, (_, i) =>
      execution(`run${String(i).padStart(2, '0')}`, 'completed')
    );
    const { server, model } = await started({ runs });
    expect(model.executions).toHaveLength(20);
    expect(model.mayHaveOlderRuns).toBe(true);
    model.showOlderRuns();
    await advance(10);
    expect(model.executions.map(e => e.id)).toEqual(runs.map(e => e.id));
    expect(model.mayHaveOlderRuns).toBe(false);
    const limits = server.requests
      .filter(r => route(r).endsWith('/executions'))
      .map(r => new URL(r.url).searchParams.get('limit'));
    expect(limits.slice(-1)).toEqual(['40']);
    // Another notebook starts again from the newest 20.
    model.setNotebook(linkedNotebook('work/other.ipynb', OTHER_NB_ID));
    await advance(10);
    expect(model.mayHaveOlderRuns).toBe(false);
    model.dispose();
  });

  it('never asks a connection without run history for runs, also after a Run', async () => {
    const server = new FakeServer();
    server.connections = [
      connection('fpx', 'fourpointx', ['list', 'push', 'execute'], {
        unsupported: { logs: 'this service keeps no run history' }
      })
    ];
    server.runs.set(NB_ID, []);
    const model = modelOf(server);
    model.setVisible(true);
    model.setNotebook(linkedNotebook('work/sales.ipynb', NB_ID, 'fpx'));
    await model.start();
    await advance(10);
    expect(await model.run()).not.toBeNull();
    await advance(60_000);
    expect(server.runChecks(NB_ID, 'fpx')).toBe(0);
    expect(model.executions).toEqual([]);
    expect(model.error('runs')).toBeNull();
    model.dispose();
  });

  it('polls quickly while a run is active', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'inProgress')]
    });
    const first = server.runChecks();
    expect(first).toBeGreaterThanOrEqual(1);
    expect(model.executions[0].status).toBe('inProgress');
    await advance(1900);
    expect(server.runChecks()).toBe(first);
    await advance(100);
    expect(server.runChecks()).toBe(first + 1);
    await advance(2000);
    expect(server.runChecks()).toBe(first + 2);
    model.dispose();
  });

  it('backs off when nothing runs, up to the max interval', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'completed')]
    });
    const first = server.runChecks();
    // Idle: 30 s first, doubled after each quiet check, never above 120 s.
    await advance(29000);
    expect(server.runChecks()).toBe(first);
    await advance(1000);
    expect(server.runChecks()).toBe(first + 1);
    await advance(59000);
    expect(server.runChecks()).toBe(first + 1);
    await advance(1000);
    expect(server.runChecks()).toBe(first + 2);
    await advance(119000);
    expect(server.runChecks()).toBe(first + 2);
    await advance(1000);
    expect(server.runChecks()).toBe(first + 3);
    await advance(120000);
    expect(server.runChecks()).toBe(first + 4);
    model.dispose();
  });

  it('speeds up again when a run starts, and the refresh action checks at once', async () => {
    const { server, model } = await started();
    const before = server.runChecks();
    await model.refresh();
    await advance(10);
    expect(server.runChecks()).toBe(before + 1);
    server.runs.set(NB_ID, [execution('e2', 'queued')]);
    await model.refresh();
    await advance(10);
    const active = server.runChecks();
    await advance(1900);
    expect(server.runChecks()).toBe(active);
    await advance(100);
    expect(server.runChecks()).toBe(active + 1);
    await advance(2000);
    expect(server.runChecks()).toBe(active + 2);
    model.dispose();
  });

  it('takes its intervals from the settings', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'queued')],
      settings: { activeInterval: 500, idleInterval: 5000, maxInterval: 8000 }
    });
    const first = server.runChecks();
    await advance(500);
    expect(server.runChecks()).toBe(first + 1);
    server.setStatus(NB_ID, 'e1', 'completed');
    await advance(500);
    // Idle from here: 5 s, then 10 s capped at the 8 s maximum.
    const idle = server.runChecks();
    await advance(4900);
    expect(server.runChecks()).toBe(idle);
    await advance(100);
    expect(server.runChecks()).toBe(idle + 1);
    await advance(7900);
    expect(server.runChecks()).toBe(idle + 1);
    await advance(100);
    expect(server.runChecks()).toBe(idle + 2);
    await advance(8000);
    expect(server.runChecks()).toBe(idle + 3);
    model.dispose();
  });

  it('stands by while the panel is hidden and checks at once when shown', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'inProgress')],
      hidden: true
    });
    const hiddenStart = server.runChecks();
    await advance(60000);
    expect(server.runChecks()).toBe(hiddenStart);
    model.setVisible(true);
    await advance(10);
    expect(server.runChecks()).toBe(hiddenStart + 1);
    model.setVisible(false);
    await advance(60000);
    expect(server.runChecks()).toBe(hiddenStart + 1);
    model.dispose();
  });

  it('stops polling when disposed', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'inProgress')]
    });
    const count = server.runChecks();
    model.dispose();
    await advance(60000);
    expect(server.runChecks()).toBe(count);
  });

  it('shows a failing check in the server words, backs off, and recovers', async () => {
    const server = new FakeServer();
    server.fail(
      '/executions',
      json(
        {
          message: 'The remote service did not answer.',
          reason: 'remote_unreachable'
        },
        502
      )
    );
    const model = modelOf(server);
    model.setVisible(true);
    model.setNotebook(linkedNotebook());
    await model.start();
    await advance(10);
    expect(model.error('runs')).toEqual({
      message: 'The remote service did not answer.',
      reason: 'remote_unreachable',
      fields: {}
    });
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
    server.heal();
    await advance(240000);
    expect(server.runChecks()).toBeGreaterThan(failed);
    expect(model.error('runs')).toBeNull();
    model.dispose();
  });

  it('waits as long as the server asks on 429', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'inProgress')]
    });
    server.fail(
      '/executions',
      json(
        {
          message: 'Too many requests; retry in 10 s.',
          reason: 'rate_limited'
        },
        429,
        { 'Retry-After': '10' }
      )
    );
    await advance(2000);
    expect(model.error('runs')?.reason).toBe('rate_limited');
    const limited = server.runChecks();
    await advance(9000);
    expect(server.runChecks()).toBe(limited);
    server.heal();
    await advance(1000);
    expect(server.runChecks()).toBe(limited + 1);
    expect(model.error('runs')).toBeNull();
    // Back to the active interval.
    await advance(2000);
    expect(server.runChecks()).toBe(limited + 2);
    model.dispose();
  });

  it('announces a run started here exactly once when it finishes, even while hidden', async () => {
    const { server, model } = await started();
    const finished = announced(model);
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
    const { server, model } = await started({
      runs: [execution('e1', 'inProgress')]
    });
    server.log = 'cell 1 started';
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
      server.requests.filter(r => route(r).endsWith('/files/result.log'))
        .length;
    const after = fetches();
    await model.refresh();
    await advance(40000);
    expect(fetches()).toBe(after);
    model.dispose();
  });

  it('does not announce runs it did not start', async () => {
    const { server, model } = await started({
      runs: [execution('e1', 'inProgress')]
    });
    const finished = announced(model);
    server.setStatus(NB_ID, 'e1', 'completed');
    await advance(2000);
    expect(model.executions[0].status).toBe('completed');
    expect(finished).toEqual([]);
    model.dispose();
  });

  it('follows a run of another notebook after switching notebooks', async () => {
    const { server, model } = await started();
    const finished: string[] = [];
    model.runFinished.connect((_, event) => finished.push(event.notebookId));
    const id = await model.run();
    model.setNotebook(new FakeNotebook('other.ipynb', linkOf(OTHER_NB_ID)));
    await advance(10);
    expect(model.executions).toEqual([]);
    server.setStatus(NB_ID, id!, 'completed');
    await advance(2000);
    expect(finished).toEqual([NB_ID]);
    model.dispose();
  });

  it('tells which part changed: runs on each check, not the link', async () => {
    const { model } = await started({ runs: [execution('e1', 'inProgress')] });
    const changed: string[] = [];
    model.runsChanged.connect(() => changed.push('runs'));
    model.linkChanged.connect(() => changed.push('link'));
    model.usageChanged.connect(() => changed.push('usage'));
    await advance(2000);
    expect(changed).toEqual(['runs']);
    model.dispose();
  });
});

function linkOf(notebookId: string) {
  return { connection: 'local', notebookId };
}
