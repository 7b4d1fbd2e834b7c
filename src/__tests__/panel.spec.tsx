import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IPanelActions } from '../components/actions';
import { RemoteModel } from '../model';
import { formatSize } from '../format';
import { CommandIDs } from '../tokens';
import { RemotePanel } from '../widgets/RemotePanel';
import { IUsageDay } from '../types';
import {
  connection,
  execution,
  FakeServer,
  json,
  linkedNotebook,
  modelOf,
  NB_ID,
  settle
} from './fakes';

/** `local` that cannot cancel here, and a Losant connection without a token. */
const CONNECTIONS = [
  connection(
    'local',
    'local',
    ['list', 'create', 'push', 'execute', 'logs', 'usage'],
    {
      label: 'This machine',
      carriesFolder: true,
      unsupported: { cancel: 'this test connection cannot cancel' }
    }
  ),
  connection(
    'plant-a',
    'losant',
    ['list', 'push', 'execute', 'cancel', 'logs', 'usage'],
    { label: 'Plant A', authConfigured: false }
  )
];

const RUNS = [
  execution('bbbbbbbbbbbbbbbbbbbbbb02', 'inProgress', {
    progress: { cell: 3, total: 7, startedAt: '2026-11-22T10:00:00.000Z' }
  }),
  execution('bbbbbbbbbbbbbbbbbbbbbb01', 'completed', {
    outputs: [
      {
        name: 'result.html',
        size: 2048,
        url: '/notebook-remote/connections/local/notebooks/x/executions/y/files/result.html',
        contentType: 'text/html'
      }
    ]
  })
];

const USAGE = {
  start: '2026-11-20T00:00:00Z',
  end: '2026-11-22T00:00:00Z',
  totalMinutes: 12.5,
  storeBytes: 3 * 1024 * 1024,
  days: [
    day('2026-11-20', 10, { completed: 3, errored: 1 }),
    day('2026-11-21', 0, {}),
    day('2026-11-22', 2.5, { completed: 1, canceled: 1 })
  ]
};

function day(
  date: string,
  minutes: number,
  runs: Partial<Omit<IUsageDay, 'date' | 'minutes'>>
): IUsageDay {
  return {
    date,
    minutes,
    completed: 0,
    errored: 0,
    canceled: 0,
    timeout: 0,
    ...runs
  };
}

const REFUSED = json(
  {
    message: 'The remote service refused the token.',
    reason: 'remote_auth'
  },
  403
);

/** The fake server of these tests: a linked "Sales forecast" with runs and usage. */
function serve(): FakeServer {
  const server = new FakeServer();
  server.connections = CONNECTIONS;
  server.runs.set(NB_ID, RUNS);
  server.usage = USAGE;
  server.notebooks.set(NB_ID, {
    id: NB_ID,
    name: 'Sales forecast',
    description: 'Daily',
    imageVersion: 'v3',
    stats: {
      minutesThisPeriod: 42.257,
      runsThisPeriod: 31,
      errorsThisPeriod: 1
    }
  });
  return server;
}

async function render(panel: RemotePanel): Promise<void> {
  MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
  await panel.renderPromise;
  await settle();
}

describe('RemotePanel', () => {
  let panel: RemotePanel | null = null;
  let model: RemoteModel | null = null;
  const executed: string[] = [];
  const actions: IPanelActions = {
    execute: id => executed.push(id),
    isEnabled: id => id !== CommandIDs.cancel,
    openOutput: () => undefined
  };

  afterEach(() => {
    panel?.dispose();
    model?.dispose();
    panel = null;
    model = null;
    executed.length = 0;
  });

  /** Show the panel of a model of `server` following a linked notebook. */
  async function mount(server = serve()): Promise<RemotePanel> {
    model = modelOf(server);
    panel = new RemotePanel({ model, actions });
    Widget.attach(panel, document.body);
    model.setVisible(true);
    await model.start();
    model.setNotebook(linkedNotebook('sales.ipynb'));
    await settle();
    await render(panel);
    return panel;
  }

  it('renders connection, link, actions, runs and usage', async () => {
    const { node } = await mount();
    expect(panel!.id).toBe('notebook-remote-panel');
    expect(panel!.title.caption).toBe('Remote Notebooks');

    const select = node.querySelector<HTMLSelectElement>(
      'select[aria-label="Connection"]'
    )!;
    expect(select.value).toBe('local');
    expect([...select.options].map(o => o.value)).toEqual(['local', 'plant-a']);
    // `local` needs no token: no token field.
    expect(node.querySelector('input[aria-label="Token"]')).toBeNull();
    // It runs the notebook among the files beside it: which ones is the link's.
    const folder = node.querySelector<HTMLSelectElement>(
      '.jp-NotebookRemote-folderOption select'
    )!;
    expect(folder.value).toBe('files');
    expect([...folder.options].map(o => o.value)).toEqual([
      'files',
      'tree',
      'none'
    ]);
    expect(folder.closest('label')!.textContent).toContain('Files beside it');

    expect(node.textContent).toContain('Sales forecast');
    // What the remote counts of it this period.
    expect(
      node.querySelector('.jp-NotebookRemote-periodStats')!.textContent
    ).toBe('42.26 minutes, 31 runs, 1 error');
    for (const name of [
      'Push',
      'Run',
      'Push and run',
      'Cancel',
      'Refresh',
      'Unlink'
    ]) {
      const button = [...node.querySelectorAll('button')].find(
        b => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name
      );
      expect(button).toBeDefined();
    }
    const cancel = node.querySelector<HTMLButtonElement>(
      'button[aria-label="Cancel"]'
    )!;
    expect(cancel.disabled).toBe(true);
    expect(cancel.title).toContain('this test connection cannot cancel');
    expect(node.textContent).toContain('this test connection cannot cancel');

    const runs = node.querySelectorAll(
      '.jp-NotebookRemote-runs .jp-NotebookRemote-run'
    );
    expect([...runs].map(r => r.getAttribute('data-status'))).toEqual([
      'inProgress',
      'completed'
    ]);
    const badge = runs[0].querySelector('.jp-NotebookRemote-statusBadge')!;
    expect(badge.textContent).toBe('In progress');
    expect(badge.getAttribute('data-status')).toBe('inProgress');
    // A run in progress says which cell runs; a finished one shows no bar.
    const bar = runs[0].querySelector('progress')!;
    expect(bar.getAttribute('aria-label')).toBe('Cell 3 of 7');
    expect([bar.getAttribute('value'), bar.getAttribute('max')]).toEqual([
      '2',
      '7'
    ]);
    expect(runs[0].textContent).toContain('Cell 3 of 7');
    expect(runs[1].querySelector('progress')).toBeNull();

    const usage = node.querySelector('.jp-NotebookRemote-usage')!;
    const chart = usage.querySelector('svg[role="img"]')!;
    expect(chart.getAttribute('aria-label')).toContain('12.5 minutes');
    expect(chart.querySelectorAll('rect.jp-NotebookRemote-bar')).toHaveLength(
      3
    );
    expect(usage.textContent).toContain('12.5 minutes');
    expect(usage.textContent).toContain('4 completed');
    expect(usage.textContent).toContain('1 errored');
    expect(usage.textContent).toContain('1 canceled');
    expect(
      usage.querySelector('.jp-NotebookRemote-storeSize')!.textContent
    ).toBe(
      `Runs and history use ${formatSize(3 * 1024 * 1024)} on this machine.`
    );
  });

  it('shows run details with output links on Enter and runs commands from buttons', async () => {
    const { node } = await mount();
    const run = node.querySelector<HTMLElement>(
      '.jp-NotebookRemote-run[data-execution-id="bbbbbbbbbbbbbbbbbbbbbb01"]'
    )!;
    run.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })
    );
    await render(panel!);
    expect(model!.selectedExecutionId).toBe('bbbbbbbbbbbbbbbbbbbbbb01');
    const details = node.querySelector('.jp-NotebookRemote-runDetails')!;
    // A list of list items only (for screen readers), details included.
    const items = [...node.querySelector('.jp-NotebookRemote-runs')!.children];
    expect(items.map(i => [i.tagName, i.getAttribute('role')])).toEqual([
      ['LI', null],
      ['LI', null]
    ]);
    expect(details.closest('li')).toBe(items[1]);
    const link = details.querySelector('a')!;
    expect(link.textContent).toBe('result.html');
    expect(details.textContent).toContain('2.0 kB');

    node
      .querySelector<HTMLButtonElement>('button[aria-label="Push and run"]')!
      .click();
    expect(executed).toEqual([CommandIDs.pushAndRun]);
  });

  it('says after a push what the notebook check noticed, with details on demand', async () => {
    const server = serve();
    server.pushWarnings = [
      {
        message: "'display_name' is a required property",
        path: 'metadata.kernelspec'
      },
      {
        message: "Additional properties are not allowed ('x' was unexpected)",
        path: 'cells[0]'
      }
    ];
    const { node } = await mount(server);
    expect(node.querySelector('.jp-NotebookRemote-pushWarnings')).toBeNull();
    expect(await model!.push()).toBe(true);
    await render(panel!);
    const shown = node.querySelector('.jp-NotebookRemote-pushWarnings')!;
    expect(shown.querySelector('p')!.textContent).toBe(
      'Pushed as saved, with 2 warnings about the notebook format.'
    );
    const details = shown.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')!.textContent).toBe('Details');
    const items = [...details.querySelectorAll('li')].map(li => li.textContent);
    expect(items).toEqual([
      "metadata.kernelspec 'display_name' is a required property",
      "cells[0] Additional properties are not allowed ('x' was unexpected)"
    ]);

    // A clean push clears them.
    server.pushWarnings = [];
    expect(await model!.push()).toBe(true);
    await render(panel!);
    expect(node.querySelector('.jp-NotebookRemote-pushWarnings')).toBeNull();
  });

  it('shows an error in place with the server message and a hint by reason', async () => {
    const server = serve();
    server.fail('/usage', REFUSED);
    const { node } = await mount(server);
    const alert = node.querySelector(
      '.jp-NotebookRemote-usageSection [role="alert"]'
    )!;
    expect(alert.classList.contains('jp-NotebookRemote-error')).toBe(true);
    expect(alert.textContent).toContain(
      'The remote service refused the token.'
    );
    expect(alert.getAttribute('data-reason')).toBe('remote_auth');
    expect(alert.textContent).toContain('Save a valid token');
  });

  it('says a refused token once, not in every section', async () => {
    const server = serve();
    server.fail(
      path => path !== 'connections',
      json(
        {
          message: "Losant refused the token of connection 'local'.",
          reason: 'remote_auth'
        },
        403
      )
    );
    await mount(server);
    expect(model!.error('runs')?.reason).toBe('remote_auth');
    expect(model!.error('usage')?.reason).toBe('remote_auth');
    expect(model!.error('notebook')?.reason).toBe('remote_auth');
    const alerts = panel!.node.querySelectorAll('[role="alert"]');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].closest('.jp-NotebookRemote-runsSection')).not.toBeNull();
    expect(alerts[0].textContent).toContain('refused the token');
  });

  it('does not claim there are no runs when the runs could not be read', async () => {
    const server = serve();
    server.runs.set(NB_ID, []);
    await mount(server);
    expect(panel!.node.textContent).toContain('No runs yet');

    server.fail(path => path !== 'connections', REFUSED);
    await model!.refresh();
    await settle();
    await render(panel!);
    expect(model!.error('runs')?.reason).toBe('remote_auth');
    expect(panel!.node.textContent).not.toContain('No runs yet');
  });

  it('says plainly when the server extension is missing', async () => {
    const server = new FakeServer();
    server.fail(() => true, new Response('Not Found', { status: 404 }));
    model = modelOf(server);
    panel = new RemotePanel({ model, actions });
    Widget.attach(panel, document.body);
    await model.start();
    await render(panel);
    const alert = panel.node.querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain('server extension is not running');
    expect(panel.node.querySelector('select')).toBeNull();
  });

  it('offers the token field for a connection that needs one', async () => {
    const { node } = await mount();
    model!.selectConnection('plant-a');
    await render(panel!);
    expect(
      node.querySelector('input[aria-label="Token"]')?.getAttribute('type')
    ).toBe('password');
    expect(node.textContent).toContain('No token');
    const buttons = [...node.querySelectorAll('button')].map(b =>
      b.textContent?.trim()
    );
    expect(buttons).toContain('Save token');
  });
});
