/**
 * Run with options…: the form's checks and what it sends, the options the
 * notebook keeps, a past run's options, the dialog over a scripted server
 * (checked as typed, kept open on a refusal, email and callback only where
 * the connection reports a run's end, push first), a run's details and Run
 * again, and the input export with a query time.
 */
import { Dialog } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IPanelActions } from '../components/actions';
import { openRunOptions } from '../components/RunOptionsDialog';
import { isCommandEnabled } from '../commands';
import { RemoteModel } from '../model';
import { parseLink } from '../notebook';
import {
  localInput,
  optionsOfRun,
  runBody,
  runForm,
  runOptions,
  runProblems
} from '../runOptions';
import { CommandIDs } from '../tokens';
import { IRunOptions } from '../types';
import { RemotePanel } from '../widgets/RemotePanel';
import {
  choose,
  connection,
  execution,
  FakeNotebook,
  FakeServer,
  json,
  LOCAL,
  modelOf,
  NB_ID,
  route,
  settle,
  type,
  waitFor
} from './fakes';

const trans = nullTranslator.load('jupyter_notebook_remote');
const NOW = Date.UTC(2026, 10, 22, 12);
const HOUR = 3600000;
const DAY = 24 * HOUR;

/** A notebook open in JupyterLab, linked on `connection`. */
function on(connection: string, lastRunOptions?: IRunOptions): FakeNotebook {
  return new FakeNotebook('sales.ipynb', {
    connection,
    notebookId: NB_ID,
    lastRunOptions
  });
}

/** A Losant connection: it reports a run's end (email, callback URL). */
const LOSANT = connection(
  'plant-a',
  'losant',
  ['list', 'push', 'execute', 'cancel', 'logs', 'usage', 'inputExport'],
  { runNotifications: true }
);

describe('the run options form', () => {
  it('sends the query time it chose, the context and where to report the end', () => {
    const form = runForm();
    expect(form).toEqual({
      when: 'now',
      at: '',
      context: '',
      email: '',
      callbackUrl: '',
      push: false
    });
    // Now: no query time at all (the remote takes the run's own time).
    expect(runBody(runOptions(form), NOW)).toEqual({});
    const options = runOptions({
      ...form,
      when: String(DAY),
      context: '{"site": "north"}',
      email: 'ops@example.com',
      callbackUrl: 'https://example.com/done?run=1'
    });
    expect(options).toEqual({
      ago: DAY,
      templateContext: { site: 'north' },
      email: 'ops@example.com',
      callbackUrl: 'https://example.com/done?run=1'
    });
    expect(runBody(options, NOW)).toEqual({
      relativeTo: NOW - DAY,
      templateContext: { site: 'north' },
      email: 'ops@example.com',
      callbackUrl: 'https://example.com/done?run=1'
    });
    // A date and time is the browser's local time, sent as an instant.
    const at = runOptions({ ...form, when: 'at', at: localInput(NOW) });
    expect(at).toEqual({ at: new Date(NOW).toISOString() });
    expect(runBody(at, NOW + DAY)).toEqual({
      relativeTo: new Date(NOW).toISOString()
    });
    // And the form of kept options is the one they came from.
    expect(runForm(options).when).toBe(String(DAY));
    expect(runForm(at)).toMatchObject({ when: 'at', at: localInput(NOW) });
  });

  it('names what is wrong by the server field, as it is typed', () => {
    const form = runForm();
    expect(runProblems(form, trans)).toEqual({});
    const problems = runProblems(
      {
        ...form,
        when: 'at',
        at: '',
        context: '[1, 2]',
        email: 'ops at example',
        callbackUrl: 'ftp://example.com/x'
      },
      trans
    );
    expect(Object.keys(problems).sort()).toEqual([
      'callbackUrl',
      'email',
      'relativeTo',
      'templateContext'
    ]);
    expect(problems.templateContext).toContain('must be a JSON object');
    expect(runProblems({ ...form, context: '{"a": ' }, trans)).toEqual({
      templateContext: expect.stringMatching(/^Not JSON/)
    });
    expect(
      runProblems({ ...form, callbackUrl: 'https://example.com/#done' }, trans)
        .callbackUrl
    ).toBeTruthy();
    expect(
      runProblems({ ...form, email: ' ops@example.com' }, trans).email
    ).toBeTruthy();
  });

  it('reads the query time of a past run as it was chosen', () => {
    const queuedAt = new Date(NOW).toISOString();
    const at = (ms: number) => new Date(ms).toISOString();
    const base = { email: 'ops@example.com', ago: HOUR };
    const of = (relativeTo: string | null) =>
      optionsOfRun(
        execution('e1', 'completed', {
          queuedAt,
          relativeTo,
          templateContext: { site: 'north' }
        }),
        base
      );
    // Given none, or (Losant) the time it was sent: now.
    expect(runForm(of(null)).when).toBe('now');
    expect(runForm(of(at(NOW - 800))).when).toBe('now');
    // A day before it, a few seconds off: "1 day ago".
    expect(runForm(of(at(NOW - DAY - 3000))).when).toBe(String(DAY));
    // Any other time: that very time.
    const pinned = runOptions(runForm(of(at(NOW - 5 * HOUR))));
    expect(pinned.at).toBe(at(NOW - 5 * HOUR));
    // The context is the run's; the email the kept one.
    expect(pinned).toMatchObject({
      templateContext: { site: 'north' },
      email: 'ops@example.com'
    });
  });

  it('keeps the options in the link, and reads back only what is well formed', () => {
    // As written in the metadata (JSON), it reads back the same.
    const kept = {
      connection: 'plant-a',
      notebookId: NB_ID,
      lastRunOptions: {
        ago: DAY,
        templateContext: { site: 'north' },
        email: 'ops@example.com'
      }
    };
    expect(parseLink(JSON.parse(JSON.stringify(kept)))).toEqual(kept);
    // Edited by hand: an unknown offset, a context that is a number.
    expect(
      parseLink({
        connection: 'plant-a',
        notebookId: NB_ID,
        lastRunOptions: { ago: 5, at: 'soon', templateContext: 3 }
      })!.lastRunOptions
    ).toEqual({});
    expect(
      parseLink({ connection: 'plant-a', notebookId: NB_ID })!.lastRunOptions
    ).toBeUndefined();
  });
});

describe('the Run with options… dialog', () => {
  let model: RemoteModel | null = null;

  afterEach(() => {
    Dialog.flush();
    model?.dispose();
    model = null;
    document.body.innerHTML = '';
  });

  /** A model following `notebook` on a server of `connections`. */
  async function follow(
    notebook: FakeNotebook,
    connections = [LOCAL, LOSANT]
  ): Promise<FakeServer> {
    const server = new FakeServer();
    server.connections = connections;
    model = modelOf(server, { now: () => NOW });
    await model.start();
    model.setNotebook(notebook);
    await settle();
    return server;
  }

  /** Open the dialog; resolves its node and what it resolves to. */
  async function open(
    exportData = false
  ): Promise<{ node: HTMLElement; result: Promise<boolean> }> {
    const result = openRunOptions(model!, trans, undefined, exportData);
    result.catch(() => undefined);
    await waitFor(() => !!document.querySelector('.jp-NotebookRemote-form'));
    await settle();
    return {
      node: document.querySelector('.jp-Dialog') as HTMLElement,
      result
    };
  }

  const accept = (node: HTMLElement) =>
    node.querySelector<HTMLButtonElement>('.jp-Dialog-footer .jp-mod-accept')!;
  const field = <T extends Element>(
    node: HTMLElement,
    label: string
  ): T | null => {
    const labelNode = [...node.querySelectorAll('label')].find(
      l => l.textContent === label
    );
    return labelNode
      ? node.querySelector<T>(`#${CSS.escape(labelNode.htmlFor)}`)
      : null;
  };
  const problemOf = (control: Element) =>
    control.hasAttribute('aria-describedby')
      ? document.getElementById(control.getAttribute('aria-describedby')!)!
          .textContent
      : null;
  const posts = (server: FakeServer, path: string) =>
    server.requests
      .filter(r => r.method === 'POST' && route(r).endsWith(path))
      .map(r => JSON.parse(r.body!));

  it('checks as typed, sends what it says, and keeps the options in the notebook', async () => {
    const notebook = on('plant-a');
    const server = await follow(notebook);
    expect(isCommandEnabled(model!, CommandIDs.runWithOptions)).toBe(true);
    const { node, result } = await open();
    expect(node.textContent).toContain('Run sales with options');
    const when = field<HTMLSelectElement>(node, 'Query time')!;
    expect([...when.options].map(o => o.textContent)).toEqual([
      'Now',
      '1 hour ago',
      '1 day ago',
      '7 days ago',
      'A date and time'
    ]);
    const context = field<HTMLTextAreaElement>(
      node,
      'Run context (optional JSON)'
    )!;
    const email = field<HTMLInputElement>(node, 'Email (optional)')!;
    const callback = field<HTMLInputElement>(node, 'Callback URL (optional)')!;

    type(context, '["north"]');
    type(email, 'ops@');
    await settle();
    expect(context.getAttribute('aria-invalid')).toBe('true');
    expect(problemOf(context)).toContain('must be a JSON object');
    expect(problemOf(email)).toBe(
      'Enter an email address like name@example.com.'
    );
    expect(accept(node).disabled).toBe(true);
    // Enter (the default button) sends nothing either.
    dialog(node).resolve();
    await settle();
    expect(posts(server, 'executions')).toEqual([]);

    choose(when, String(DAY));
    type(context, '{"site": "north"}');
    type(email, 'ops@example.com');
    type(callback, 'https://example.com/done');
    await settle();
    expect(problemOf(context)).toBeNull();
    expect(accept(node).disabled).toBe(false);
    accept(node).click();
    expect(await result).toBe(true);
    expect(posts(server, 'executions')).toEqual([
      {
        relativeTo: NOW - DAY,
        templateContext: { site: 'north' },
        email: 'ops@example.com',
        callbackUrl: 'https://example.com/done'
      }
    ]);
    expect(notebook.getLink()!.lastRunOptions).toEqual({
      ago: DAY,
      templateContext: { site: 'north' },
      email: 'ops@example.com',
      callbackUrl: 'https://example.com/done'
    });
    // The run is the selected one, with what it was given.
    await waitFor(() => !!model!.selectedExecution);
    expect(model!.selectedExecution).toMatchObject({
      templateContext: { site: 'north' },
      relativeTo: new Date(NOW - DAY).toISOString()
    });

    // The next time, the dialog opens with them: one Enter repeats the run.
    const again = await open();
    expect(field<HTMLSelectElement>(again.node, 'Query time')!.value).toBe(
      String(DAY)
    );
    expect(
      JSON.parse(
        field<HTMLTextAreaElement>(again.node, 'Run context (optional JSON)')!
          .value
      )
    ).toEqual({ site: 'north' });
    expect(field<HTMLInputElement>(again.node, 'Email (optional)')!.value).toBe(
      'ops@example.com'
    );
  });

  it("stays open on the server's refusal, shown beside its field", async () => {
    const server = await follow(on('plant-a'));
    server.fail(
      path => path.endsWith('/executions'),
      json(
        {
          message: 'Invalid request: callbackUrl: the remote refused it',
          reason: 'invalid_input',
          fields: { callbackUrl: 'the remote refused it' }
        },
        400
      )
    );
    const { node, result } = await open();
    const callback = field<HTMLInputElement>(node, 'Callback URL (optional)')!;
    type(callback, 'https://example.com/done');
    await settle();
    accept(node).click();
    await waitFor(() => callback.hasAttribute('aria-describedby'));
    expect(problemOf(callback)).toBe('the remote refused it');
    expect(node.isConnected).toBe(true);
    // The panel does not say it a second time.
    expect(model!.error('actions')).toBeNull();

    server.heal();
    type(callback, 'https://example.com/finished');
    await settle();
    expect(problemOf(callback)).toBeNull();
    accept(node).click();
    expect(await result).toBe(true);
  });

  it("offers no email or callback where the connection reports no run's end", async () => {
    const notebook = on('local', { email: 'ops@example.com' });
    const server = await follow(notebook);
    const { node, result } = await open();
    expect(field(node, 'Email (optional)')).toBeNull();
    expect(field(node, 'Callback URL (optional)')).toBeNull();
    type(
      field<HTMLTextAreaElement>(node, 'Run context (optional JSON)')!,
      '{"n": 1}'
    );
    await settle();
    accept(node).click();
    expect(await result).toBe(true);
    expect(posts(server, 'executions')).toEqual([
      { templateContext: { n: 1 } }
    ]);
  });

  it('offers no query time or context where runs take none, and sends none', async () => {
    const civis = connection(
      'civis-a',
      'civis',
      ['list', 'push', 'execute', 'cancel', 'logs', 'usage', 'pull', 'open'],
      { label: 'Civis', runContext: false }
    );
    // Options kept from when the link was on another connection are not sent.
    const notebook = on('civis-a', { ago: DAY, templateContext: { n: 1 } });
    const server = await follow(notebook, [LOCAL, civis]);
    const { node, result } = await open();
    expect(field(node, 'Query time')).toBeNull();
    expect(field(node, 'Run context (optional JSON)')).toBeNull();
    expect(node.textContent).toContain(
      'Runs on Civis take no query time or context.'
    );
    accept(node).click();
    expect(await result).toBe(true);
    expect(posts(server, 'executions')).toEqual([{}]);
  });

  it('pushes first when the notebook changed since its last push', async () => {
    const notebook = on('local');
    const server = await follow(notebook);
    notebook.edit();
    const { node, result } = await open();
    const push = [...node.querySelectorAll('label')]
      .find(l => l.textContent?.includes('Push the notebook first'))!
      .querySelector('input')!;
    expect(push.checked).toBe(true);
    choose(field<HTMLSelectElement>(node, 'Query time')!, String(HOUR));
    await settle();
    accept(node).click();
    expect(await result).toBe(true);
    const sent = server.requests
      .filter(r => r.method === 'POST')
      .map(r => route(r).split('/').pop());
    expect(sent).toEqual(['push', 'executions']);
    // Saved with the options in it, and they outlive what the push writes.
    expect(notebook.saves).toBeGreaterThan(0);
    expect(notebook.dirty).toBe(false);
    expect(notebook.getLink()).toMatchObject({
      updatedAt: expect.any(String),
      lastRunOptions: { ago: HOUR }
    });
  });

  it('asks before its push replaces a remote that changed, then runs', async () => {
    const notebook = new FakeNotebook('sales.ipynb', {
      connection: 'local',
      notebookId: NB_ID,
      updatedAt: '2026-11-20T10:00:00.000Z'
    });
    const server = await follow(notebook);
    let pushes = 0;
    server.fail(
      r => r.endsWith('/push') && pushes++ === 0,
      json({ message: 'changed on the remote', reason: 'remote_changed' }, 409)
    );
    notebook.edit();
    const { node, result } = await open();
    accept(node).click();
    await waitFor(() =>
      [...document.querySelectorAll('.jp-Dialog-header')].some(
        h => h.textContent === 'The remote notebook changed'
      )
    );
    // The options dialog has closed; the question says what the server said.
    expect(document.querySelectorAll('.jp-Dialog')).toHaveLength(1);
    expect(document.querySelector('.jp-Dialog-body')!.textContent).toBe(
      'changed on the remote'
    );
    const overwrite = [
      ...document.querySelectorAll<HTMLButtonElement>('.jp-Dialog-button')
    ].find(b => b.textContent === 'Overwrite it')!;
    overwrite.click();
    expect(await result).toBe(true);
    const sent = server.requests
      .filter(r => r.method === 'POST')
      .map(r => [route(r).split('/').pop(), JSON.parse(r.body!)]);
    expect(sent).toEqual([
      [
        'push',
        { path: 'sales.ipynb', expectUpdatedAt: '2026-11-20T10:00:00.000Z' }
      ],
      ['push', { path: 'sales.ipynb' }],
      ['executions', {}]
    ]);
  });

  it('asks for an input export with a query time, and no context', async () => {
    const server = await follow(
      on('plant-a', { templateContext: { site: 'north' } })
    );
    const { node, result } = await open(true);
    expect(node.textContent).toContain('Export the input data of sales');
    expect(field(node, 'Run context (optional JSON)')).toBeNull();
    choose(field<HTMLSelectElement>(node, 'Query time')!, String(7 * DAY));
    type(field<HTMLInputElement>(node, 'Email (optional)')!, 'ops@example.com');
    await settle();
    accept(node).click();
    expect(await result).toBe(true);
    expect(posts(server, 'input-export')).toEqual([
      { relativeTo: NOW - 7 * DAY, email: 'ops@example.com' }
    ]);
    expect(model!.notice).toBe(
      'Input data export queued (job job-1); a link will be emailed to ops@example.com.'
    );
  });

  it('shows what a run ran with, and Run again opens the dialog filled with it', async () => {
    const server = await follow(on('local'));
    const ran = execution('e1', 'completed', {
      queuedAt: new Date(NOW).toISOString(),
      relativeTo: new Date(NOW - HOUR).toISOString(),
      templateContext: { site: 'north' },
      maxAllowedRunMinutes: 60
    });
    server.runs.set(NB_ID, [ran]);
    const actions: IPanelActions = {
      execute: () => undefined,
      isEnabled: id => isCommandEnabled(model!, id),
      openOutput: () => undefined
    };
    const panel = new RemotePanel({ model: model!, actions });
    Widget.attach(panel, document.body);
    model!.setVisible(true);
    await model!.refresh();
    await waitFor(() => model!.executions.length > 0);
    model!.selectExecution('e1');
    MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
    await panel.renderPromise;
    await settle();
    const details = panel.node.querySelector('.jp-NotebookRemote-runDetails')!;
    expect(details.textContent).toContain('Query time');
    expect(details.textContent).toContain('Run limit60 minutes');
    expect(
      JSON.parse(
        details.querySelector('.jp-NotebookRemote-context')!.textContent!
      )
    ).toEqual({ site: 'north' });
    const again = [...details.querySelectorAll('button')].find(
      b => b.textContent === 'Run again with these options…'
    )!;
    again.click();
    await waitFor(() => !!document.querySelector('.jp-NotebookRemote-form'));
    await settle();
    const node = document.querySelector('.jp-Dialog') as HTMLElement;
    expect(field<HTMLSelectElement>(node, 'Query time')!.value).toBe(
      String(HOUR)
    );
    expect(
      JSON.parse(
        field<HTMLTextAreaElement>(node, 'Run context (optional JSON)')!.value
      )
    ).toEqual({ site: 'north' });
    accept(node).click();
    await waitFor(() => posts(server, 'executions').length > 0);
    expect(posts(server, 'executions')).toEqual([
      { relativeTo: NOW - HOUR, templateContext: { site: 'north' } }
    ]);
    panel.dispose();
  });
});

/** The dialog widget of a dialog's node. */
function dialog(node: HTMLElement): Dialog<unknown> {
  return [...Dialog.tracker.filter(() => true)].find(d => d.node === node)!;
}
