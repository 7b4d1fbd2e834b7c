/**
 * The Schedule… dialog: checked as it is typed, Save waits for a valid form
 * and for the server, the server's refusal shows beside its field; and the
 * panel's Schedule section over a scripted server.
 */
import { Dialog } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RemoteApiError } from '../api';
import { IPanelActions } from '../components/actions';
import {
  ScheduleDialog,
  ScheduleDialogState
} from '../components/ScheduleDialog';
import { isCommandEnabled } from '../commands';
import { RemoteModel } from '../model';
import { formFrom, scheduleLimits } from '../schedule';
import { timeZones } from '../timeZones';
import { CommandIDs } from '../tokens';
import { IScheduleBody } from '../types';
import { RemotePanel } from '../widgets/RemotePanel';
import {
  choose,
  connection,
  execution,
  FakeServer,
  json,
  linkedNotebook,
  modelOf,
  NB_ID,
  settle,
  type,
  waitFor
} from './fakes';

const trans = nullTranslator.load('jupyter_notebook_remote');
const NOW = Date.UTC(2026, 10, 22, 12);

describe('ScheduleDialog', () => {
  let dialog: ScheduleDialog | null = null;

  afterEach(() => {
    dialog?.dispose();
    dialog = null;
  });

  async function open(
    save: (body: IScheduleBody) => Promise<Error | null>,
    kind = 'local'
  ): Promise<{ result: Promise<Dialog.IResult<unknown>>; node: HTMLElement }> {
    const state = new ScheduleDialogState({
      form: formFrom(null, 'Europe/Berlin'),
      limits: scheduleLimits(kind),
      zones: timeZones(['Europe/Berlin']),
      trans,
      now: () => NOW
    });
    dialog = new ScheduleDialog({
      state,
      name: 'sales',
      isNew: true,
      active: true,
      save
    });
    const result = dialog.launch();
    // A dialog disposed while open (after each test) rejects its promise.
    result.catch(() => undefined);
    await dialog.ready;
    await settle();
    return { result, node: dialog.node };
  }

  const accept = (node: HTMLElement) =>
    node.querySelector<HTMLButtonElement>('.jp-Dialog-footer .jp-mod-accept')!;
  const field = <T extends Element>(node: HTMLElement, label: string): T => {
    const labelNode = [...node.querySelectorAll('label')].find(
      l => l.textContent === label
    )!;
    return node.querySelector<T>(`#${CSS.escape(labelNode.htmlFor)}`)!;
  };

  it('writes the cron of a preset, and picks the preset of a typed cron', async () => {
    const { node } = await open(async () => null);
    const kind = field<HTMLSelectElement>(node, 'Repeat');
    const cron = field<HTMLInputElement>(node, 'Cron');
    expect(kind.value).toBe('weekly');
    expect(cron.value).toBe('0 6 * * 1');
    expect(
      node.querySelector('.jp-NotebookRemote-scheduleSummary')!.textContent
    ).toBe('Every Monday at 06:00, Europe/Berlin');

    choose(kind, 'daily');
    await settle();
    expect(cron.value).toBe('0 6 * * *');

    type(cron, '*/15 * * * *');
    await settle();
    expect(kind.value).toBe('minutes');
    type(cron, '0 6 1 1 *');
    await settle();
    expect(kind.value).toBe('custom');
    expect(node.textContent).toContain('cron `0 6 1 1 *`, Europe/Berlin');
  });

  it('checks as it is typed and keeps Save off until the form is valid', async () => {
    const save = jest.fn(async () => null);
    const { node } = await open(save);
    expect(accept(node).disabled).toBe(false);

    const context = field<HTMLTextAreaElement>(
      node,
      'Run context (optional JSON)'
    );
    type(context, '{"region": ');
    await settle();
    expect(context.getAttribute('aria-invalid')).toBe('true');
    expect(node.querySelector('[role="alert"]')!.textContent).toMatch(
      /^Not JSON/
    );
    expect(accept(node).disabled).toBe(true);
    // Enter (the default button) does not send it either.
    dialog!.resolve();
    await settle();
    expect(save).not.toHaveBeenCalled();
    expect(dialog!.isAttached).toBe(true);

    type(context, '{"region": "north"}');
    await settle();
    expect(context.getAttribute('aria-invalid')).toBe('false');
    expect(accept(node).disabled).toBe(false);

    type(field<HTMLInputElement>(node, 'Cron'), '61 6 * * *');
    await settle();
    expect(node.textContent).toContain('The minute field "61" is not valid');
    expect(accept(node).disabled).toBe(true);
  });

  it('stays open on the server refusal, beside its field, and closes once saved', async () => {
    const answers: (Error | null)[] = [
      new RemoteApiError({
        message: 'The schedule is not valid.',
        status: 400,
        reason: 'invalid_input',
        fields: { cron: 'runs more often than every 5 minutes' }
      }),
      null
    ];
    const bodies: IScheduleBody[] = [];
    const { node, result } = await open(async body => {
      bodies.push(body);
      return answers.shift() ?? null;
    });
    accept(node).click();
    await settle();
    expect(bodies).toEqual([
      { cron: '0 6 * * 1', timezone: 'Europe/Berlin', active: true }
    ]);
    expect(dialog!.isAttached).toBe(true);
    const cron = field<HTMLInputElement>(node, 'Cron');
    // React renders an update from outside an event when it gets to it.
    await waitFor(() => cron.hasAttribute('aria-describedby'));
    const problem = document.getElementById(
      cron.getAttribute('aria-describedby')!
    )!;
    expect(problem.textContent).toBe('runs more often than every 5 minutes');

    // Editing the cron drops the server's word on it.
    type(cron, '50 6 * * 1');
    await settle();
    expect(cron.getAttribute('aria-describedby')).toBeNull();
    accept(node).click();
    expect((await result).button.accept).toBe(true);
    expect(bodies[1].cron).toBe('50 6 * * 1');
  });

  it('shows an error without fields with its hint', async () => {
    const { node } = await open(
      async () =>
        new RemoteApiError({
          message: 'Push the notebook before scheduling it.',
          status: 409,
          reason: 'not_pushed'
        })
    );
    accept(node).click();
    await waitFor(() => !!node.querySelector('.jp-NotebookRemote-error'));
    const alert = node.querySelector('.jp-NotebookRemote-error')!;
    expect(alert.getAttribute('data-reason')).toBe('not_pushed');
    expect(alert.textContent).toContain('Push the notebook first');
  });

  it('offers 4pointx daily and weekly on one day only, no cron to type', async () => {
    const { node } = await open(async () => null, 'fourpointx');
    const kind = field<HTMLSelectElement>(node, 'Repeat');
    expect([...kind.options].map(o => o.value)).toEqual(['daily', 'weekly']);
    expect(field<HTMLInputElement>(node, 'Cron').readOnly).toBe(true);
    const days = node.querySelectorAll<HTMLInputElement>(
      '.jp-NotebookRemote-scheduleDays input'
    );
    expect([...days].every(d => d.type === 'radio')).toBe(true);
    days[4].click(); // Friday
    await settle();
    expect(field<HTMLInputElement>(node, 'Cron').value).toBe('0 6 * * 5');
  });
});

describe('the Schedule section', () => {
  let panel: RemotePanel | null = null;
  let model: RemoteModel | null = null;
  const executed: string[] = [];
  const actions = (m: () => RemoteModel): IPanelActions => ({
    execute: id => executed.push(id),
    isEnabled: id => isCommandEnabled(m(), id),
    openOutput: () => undefined
  });

  afterEach(() => {
    panel?.dispose();
    model?.dispose();
    panel = null;
    model = null;
    executed.length = 0;
    document.body.innerHTML = '';
  });

  const LOCAL = connection(
    'local',
    'local',
    ['list', 'create', 'push', 'execute', 'logs', 'usage', 'schedule'],
    { label: 'This machine' }
  );
  const LOSANT = connection(
    'plant-a',
    'losant',
    ['list', 'push', 'execute', 'logs', 'usage'],
    {
      unsupported: {
        schedule:
          'Losant schedules notebook runs from a workflow: a Timer trigger and a Notebook: Execute node.'
      }
    }
  );

  async function mount(
    server: FakeServer,
    conn = 'local'
  ): Promise<HTMLElement> {
    model = modelOf(server);
    panel = new RemotePanel({ model, actions: actions(() => model!) });
    Widget.attach(panel, document.body);
    model.setVisible(true);
    await model.start();
    model.setNotebook(linkedNotebook('sales.ipynb', NB_ID, conn));
    await settle();
    return render();
  }

  async function render(): Promise<HTMLElement> {
    MessageLoop.sendMessage(panel!, Widget.Msg.UpdateRequest);
    await panel!.renderPromise;
    await settle();
    return panel!.node.querySelector(
      '.jp-NotebookRemote-scheduleSection'
    ) as HTMLElement;
  }

  const button = (node: HTMLElement, name: string) =>
    [...node.querySelectorAll('button')].find(
      b => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name
    )!;

  it('offers Schedule… where the connection can schedule', async () => {
    const server = new FakeServer();
    server.connections = [LOCAL, LOSANT];
    const section = await mount(server);
    expect(section.textContent).toContain('No schedule.');
    expect(isCommandEnabled(model!, CommandIDs.schedule)).toBe(true);
    button(section, 'Schedule…').click();
    expect(executed).toEqual([CommandIDs.schedule]);
  });

  it('says how Losant schedules runs instead of a form', async () => {
    const server = new FakeServer();
    server.connections = [LOCAL, LOSANT];
    const section = await mount(server, 'plant-a');
    expect(section.textContent).toContain(
      'a Timer trigger and a Notebook: Execute node'
    );
    expect(section.querySelectorAll('button')).toHaveLength(0);
    expect(isCommandEnabled(model!, CommandIDs.schedule)).toBe(false);
    expect(server.count('GET', 'schedule')).toBe(0);
  });

  it('shows the schedule in words, its next runs and last run; pauses, resumes, removes', async () => {
    const server = new FakeServer();
    server.connections = [LOCAL];
    const scheduled = execution('cccccccccccccccccccccc01', 'completed', {
      source: { type: 'schedule', id: null }
    });
    server.runs.set(NB_ID, [scheduled]);
    server.schedules.set(NB_ID, {
      cron: '50 6 * * 1',
      timezone: 'Europe/Berlin',
      until: '2027-12-13T22:59:59.000Z',
      active: true,
      nextRunAt: '2026-11-23T05:50:00.000Z',
      lastRunAt: '2026-11-16T05:50:00.000Z',
      nextRuns: ['2026-11-23T05:50:00.000Z', '2026-11-30T05:50:00.000Z'],
      lastExecutionId: scheduled.id,
      runCount: 3
    });
    let section = await mount(server);
    expect(
      section.querySelector('.jp-NotebookRemote-scheduleWords')!.textContent
    ).toMatch(/^Every Monday at 06:50, Europe\/Berlin, until .*2027$/);
    expect(
      section.querySelectorAll('.jp-NotebookRemote-scheduleNext li')
    ).toHaveLength(2);
    expect(
      section
        .querySelector('.jp-NotebookRemote-scheduleNext time')!
        .getAttribute('dateTime')
    ).toBe('2026-11-23T05:50:00.000Z');
    const last = section.querySelector('.jp-NotebookRemote-scheduleLast')!;
    expect(
      last.querySelector('.jp-NotebookRemote-statusBadge')!.textContent
    ).toBe('Completed');
    expect(last.textContent).toContain('3 runs so far');
    // The run is marked in the runs list.
    const row = panel!.node.querySelector(
      `.jp-NotebookRemote-run[data-execution-id="${scheduled.id}"]`
    )!;
    expect(row.getAttribute('data-source')).toBe('schedule');
    expect(
      row.querySelector('.jp-NotebookRemote-scheduledBadge')!.textContent
    ).toBe('Scheduled');

    button(section, 'Pause').click();
    await settle();
    section = await render();
    const put = server.requests.filter(r => r.method === 'PUT').pop()!;
    expect(JSON.parse(put.body!)).toEqual({
      cron: '50 6 * * 1',
      timezone: 'Europe/Berlin',
      until: '2027-12-13T22:59:59.000Z',
      active: false
    });
    expect(
      section.querySelector('.jp-NotebookRemote-scheduleState')!.textContent
    ).toBe('Paused');
    expect(section.textContent).toContain('None while paused.');

    button(section, 'Resume').click();
    await settle();
    section = await render();
    expect(
      section.querySelector('.jp-NotebookRemote-scheduleState')!.textContent
    ).toBe('Active');

    button(section, 'Run now').click();
    expect(executed).toContain(CommandIDs.run);

    button(section, 'Remove schedule').click();
    await settle();
    const confirm = document.querySelector('.jp-Dialog')!;
    expect(confirm.textContent).toContain('Remove this schedule?');
    [...confirm.querySelectorAll('button')]
      .find(b => b.textContent === 'Remove schedule')!
      .click();
    await settle(60);
    section = await render();
    expect(server.count('DELETE', 'schedule')).toBe(1);
    expect(section.textContent).toContain('No schedule.');
  });

  it('reads the schedule again once its next run is due, on the runs check', async () => {
    const server = new FakeServer();
    server.connections = [LOCAL];
    const due = Date.UTC(2026, 10, 23, 5, 50);
    server.schedules.set(NB_ID, {
      cron: '50 6 * * 1',
      timezone: 'Europe/Berlin',
      until: null,
      active: true,
      nextRunAt: new Date(due).toISOString(),
      lastRunAt: null,
      nextRuns: [new Date(due).toISOString()]
    });
    let now = due - 60000;
    model = modelOf(server, { now: () => now });
    await model.start();
    model.setNotebook(linkedNotebook('sales.ipynb', NB_ID, 'local'));
    await waitFor(() => model!.scheduleLoaded);
    const reads = () => server.count('GET', 'schedule');
    expect(reads()).toBe(1);
    // Not due yet: a runs check reads no schedule.
    await model.refresh();
    await settle();
    const before = reads();
    // Selecting a run says the runs changed, as a check does.
    model.selectExecution('x');
    await settle();
    expect(reads()).toBe(before);
    // Due: the next runs check reads it again, once.
    now = due + 1000;
    model.selectExecution(null);
    model.selectExecution('x');
    await waitFor(() => reads() > before);
    await settle();
    expect(reads()).toBe(before + 1);
  });

  it('offers no pause where the kind cannot pause (4pointx): remove instead', async () => {
    const server = new FakeServer();
    server.connections = [
      connection('analytics', 'fourpointx', ['list', 'execute', 'schedule'])
    ];
    server.schedules.set(NB_ID, {
      cron: '0 6 * * 5',
      timezone: 'UTC',
      until: '2027-12-13T23:59:00.000Z',
      active: true,
      nextRunAt: '2026-12-04T06:00:00.000Z',
      lastRunAt: '2026-11-27T06:00:00.000Z',
      nextRuns: ['2026-12-04T06:00:00.000Z'],
      runCount: 4
    });
    const section = await mount(server, 'analytics');
    expect(
      section.querySelector('.jp-NotebookRemote-scheduleWords')!.textContent
    ).toMatch(/^Every Friday at 06:00, UTC, until /);
    expect(section.textContent).toContain('4 runs so far');
    expect(button(section, 'Pause')).toBeUndefined();
    expect(button(section, 'Remove schedule')).toBeDefined();
  });

  it('shows a failed pause in the section', async () => {
    const server = new FakeServer();
    server.connections = [LOCAL];
    server.schedules.set(NB_ID, {
      cron: '*/7 * * * *',
      timezone: 'UTC',
      until: null,
      active: true,
      nextRunAt: null,
      lastRunAt: null,
      nextRuns: []
    });
    let section = await mount(server);
    expect(section.textContent).toContain('cron `*/7 * * * *`, UTC');
    server.fail(
      route => route.endsWith('schedule'),
      json(
        { message: 'The remote did not answer.', reason: 'remote_unreachable' },
        502
      )
    );
    button(section, 'Pause').click();
    await settle();
    section = await render();
    expect(
      section
        .querySelector('.jp-NotebookRemote-error')!
        .getAttribute('data-reason')
    ).toBe('remote_unreachable');
  });
});
