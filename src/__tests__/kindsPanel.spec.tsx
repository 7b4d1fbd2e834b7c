/**
 * The panel for each kind's ways: a sleeping Civis deployment, its words and
 * resources, Open in Civis; 4pointx's run count instead of a history; the
 * chooser's count; delete (Civis: archive) after a confirmation naming it.
 */
import { Notification } from '@jupyterlab/apputils';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IPanelActions } from '../components/actions';
import { RemoteModel } from '../model';
import { RemotePanel } from '../widgets/RemotePanel';
import {
  connection,
  execution,
  FakeServer,
  FakeNotebook,
  linkedNotebook,
  modelOf,
  NB_ID,
  settle
} from './fakes';

const RUN = '301';

const ACTIONS: IPanelActions = {
  execute: () => undefined,
  isEnabled: () => true,
  openOutput: () => undefined
};

describe('the panel, kind by kind', () => {
  let panel: RemotePanel | null = null;
  let model: RemoteModel | null = null;
  const opened: string[] = [];

  afterEach(() => {
    panel?.dispose();
    model?.dispose();
    document.body.innerHTML = '';
    opened.length = 0;
  });

  async function render(): Promise<HTMLElement> {
    MessageLoop.sendMessage(panel!, Widget.Msg.UpdateRequest);
    await panel!.renderPromise;
    await settle();
    return panel!.node;
  }

  /** The panel of a connection of `kind` following `notebook`. */
  async function mount(
    kind: string,
    capabilities: Parameters<typeof connection>[2],
    prepare: (server: FakeServer) => void = () => undefined,
    notebook: FakeNotebook = linkedNotebook('sales.ipynb', NB_ID, 'k')
  ): Promise<{ node: HTMLElement; server: FakeServer }> {
    const server = new FakeServer();
    server.connections = [
      connection('k', kind, capabilities, { label: `Fake ${kind}` })
    ];
    server.defaultConnection = 'k';
    prepare(server);
    const tab = {
      opener: {},
      location: { replace: (url: string) => opened.push(url) },
      close: () => undefined
    };
    model = modelOf(server, { openTab: () => tab as unknown as Window });
    panel = new RemotePanel({ model, actions: ACTIONS });
    Widget.attach(panel, document.body);
    model.setVisible(true);
    await model.start();
    model.setNotebook(notebook);
    await settle();
    return { node: await render(), server };
  }

  it('civis: a sleeping deployment says so, with its words, its resources and Open in Civis', async () => {
    const { node } = await mount(
      'civis',
      ['list', 'logs', 'open', 'cancel', 'delete', 'usage'],
      server => {
        server.usage = { ...server.usage, start: '2026-11-01T00:00:00Z' };
        server.runs.set(NB_ID, [
          execution(RUN, 'inProgress', {
            remoteState: 'sleeping',
            remoteMessage: 'Notebook server is asleep after being idle',
            resources: { memoryMb: 3000, cpuMillicores: 1000 }
          }),
          execution('300', 'completed', {
            resources: {
              memoryMb: 3000,
              cpuMillicores: 1000,
              maxMemoryMb: 1260,
              maxCpuMillicores: 370
            }
          })
        ]);
      }
    );
    const badges = [
      ...node.querySelectorAll(
        '.jp-NotebookRemote-run .jp-NotebookRemote-statusBadge'
      )
    ];
    expect(badges.map(b => b.textContent)).toEqual(['Sleeping', 'Completed']);
    expect(badges[0].getAttribute('data-status')).toBe('sleeping');

    model!.selectExecution(RUN);
    let details = (await render()).querySelector(
      '.jp-NotebookRemote-runDetails'
    )!;
    expect(details.textContent).toContain(
      'Notebook server is asleep after being idle'
    );
    expect(details.textContent).toContain('still up, and Cancel stops it');
    expect(details.textContent).toContain(
      `Memory ${(3000).toLocaleString()} MB asked for`
    );
    const open = [...details.querySelectorAll('button')].find(
      b => b.textContent === 'Open in Civis'
    )!;
    open.click();
    await settle();
    expect(opened).toEqual([
      'https://deployment-301.notebooks.civis.test/auth?token=t1'
    ]);

    // A terminated run: its peaks against what it asked for; nothing to open.
    model!.selectExecution('300');
    details = (await render()).querySelector('.jp-NotebookRemote-runDetails')!;
    expect(details.textContent).toContain(
      `peak ${(1260).toLocaleString()} of ${(3000).toLocaleString()} MB asked for`
    );
    expect(details.textContent).toContain(
      `peak 370 of ${(1000).toLocaleString()} millicores asked for`
    );
    const meters = details.querySelectorAll('meter');
    expect([...meters].map(m => m.getAttribute('aria-label'))).toEqual([
      'Memory',
      'CPU'
    ]);
    expect(details.textContent).not.toContain('Open in');

    // Beside the minutes, the peaks of the range's runs that report them.
    const chart = node.querySelector(
      '.jp-NotebookRemote-usageSection svg[aria-label^="Peak memory and CPU"]'
    )!;
    const bars = [...chart.querySelectorAll('rect')];
    expect(bars.map(b => b.textContent)).toEqual([
      expect.stringMatching(/: memory 42%$/),
      expect.stringMatching(/: CPU 37%$/)
    ]);
    expect(bars[1].classList).toContain('jp-mod-cpu');
  });

  it('fourpointx: the run count and last run instead of a history; the chooser counts the notebooks', async () => {
    const { node } = await mount(
      'fourpointx',
      ['list', 'create', 'execute', 'delete'],
      server =>
        Object.assign(server.notebooks.get(NB_ID)!, {
          runCount: 3,
          lastRunAt: '2026-11-22T05:00:00.000Z'
        })
    );
    const runs = node.querySelector('.jp-NotebookRemote-runsSection')!;
    expect(
      runs.querySelector('.jp-NotebookRemote-runTally')!.textContent
    ).toMatch(/^Ran 3 times \(last .+\)$/);
    expect(runs.querySelectorAll('.jp-NotebookRemote-run')).toHaveLength(0);
    // No remote file to open: the link says why, where the button would be.
    expect(node.textContent).toContain(
      'Open remote copy unavailable: Fake fourpointx (fourpointx) does not offer this.'
    );
    expect(node.textContent).not.toContain('Replace with it…');

    model!.setNotebook(new FakeNotebook('other.ipynb'));
    model!.chooser.open();
    await settle();
    expect(
      (await render()).querySelector('.jp-NotebookRemote-chooserCount')!
        .textContent
    ).toBe('1 remote notebook');
  });

  it.each([
    [
      'civis',
      'Archive in Civis…',
      'Archive "sales"?',
      'archived on Fake civis'
    ],
    [
      'losant',
      'Delete remote notebook…',
      'Delete "sales"?',
      'deleted from Fake losant'
    ]
  ])(
    '%s: delete in its word, confirmed by name; the link goes, the notebook stays',
    async (kind, label, title, says) => {
      const success = jest.spyOn(Notification, 'success');
      const notebook = linkedNotebook('sales.ipynb', NB_ID, 'k');
      const { node, server } = await mount(
        kind,
        ['list', 'delete'],
        undefined,
        notebook
      );
      const button = () =>
        [
          ...node.querySelectorAll<HTMLButtonElement>(
            '.jp-NotebookRemote-delete'
          )
        ].find(b => b.textContent === label);
      button()!.click();
      await settle();
      let dialog = document.querySelector('.jp-Dialog')!;
      expect(dialog.textContent).toContain(title);
      expect(dialog.textContent).toContain(says);
      // Keeping it asks nothing.
      dialog.querySelector<HTMLButtonElement>('.jp-mod-reject')!.click();
      await settle();
      expect(server.count('DELETE', `k/notebooks/${NB_ID}`)).toBe(0);

      button()!.click();
      await settle();
      dialog = document.querySelector('.jp-Dialog')!;
      dialog.querySelector<HTMLButtonElement>('.jp-mod-warn')!.click();
      await settle(60);
      expect(server.count('DELETE', `k/notebooks/${NB_ID}`)).toBe(1);
      expect(notebook.getLink()).toBeNull();
      expect(notebook.path).toBe('sales.ipynb');
      expect(button()).toBeUndefined();
      expect(success).toHaveBeenCalledWith(
        '"sales" removed; this notebook is unlinked.',
        { autoClose: 5000 }
      );
    }
  );
});
