import { Notification } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';

import { CommandRegistry } from '@lumino/commands';

import { addCommands, isCommandEnabled } from '../commands';
import { connectNotifications, finishedMessage } from '../notifications';
import { CommandIDs } from '../tokens';
import { Capability } from '../types';
import {
  connection,
  execution,
  FakeNotebook,
  FakeServer,
  linkedNotebook,
  modelOf,
  NB_ID,
  settle
} from './fakes';

const trans = nullTranslator.load('jupyter_notebook_remote');

/** A model of one connection `c1` that can do `capabilities`. */
async function modelWith(
  capabilities: Capability[],
  runs = [execution('e1', 'completed')]
) {
  const server = new FakeServer();
  server.connections = [
    connection('c1', 'losant', capabilities, { label: 'C1' })
  ];
  server.defaultConnection = 'c1';
  server.runs.set(NB_ID, runs);
  const model = modelOf(server);
  model.setVisible(true);
  await model.loadConnections();
  return { model, server };
}

/** A notebook linked to the test notebook on `c1`. */
function linked(): FakeNotebook {
  return linkedNotebook('a.ipynb', NB_ID, 'c1');
}

describe('isCommandEnabled', () => {
  it('offers only link and open-panel for an unlinked notebook', async () => {
    const { model } = await modelWith([
      'list',
      'create',
      'push',
      'execute',
      'cancel'
    ]);
    model.setNotebook(new FakeNotebook('a.ipynb'));
    expect(isCommandEnabled(model, CommandIDs.link)).toBe(true);
    expect(isCommandEnabled(model, CommandIDs.openPanel)).toBe(true);
    for (const id of [
      CommandIDs.push,
      CommandIDs.run,
      CommandIDs.runWithOptions,
      CommandIDs.pushAndRun,
      CommandIDs.cancel
    ]) {
      expect(isCommandEnabled(model, id)).toBe(false);
    }
    model.dispose();
  });

  it('offers nothing for the notebook when there is none', async () => {
    const { model } = await modelWith(['list', 'create', 'push', 'execute']);
    expect(isCommandEnabled(model, CommandIDs.link)).toBe(false);
    expect(isCommandEnabled(model, CommandIDs.push)).toBe(false);
    model.dispose();
  });

  it('follows the capabilities of the linked connection', async () => {
    const { model } = await modelWith(['list', 'execute']);
    model.setNotebook(linked());
    expect(isCommandEnabled(model, CommandIDs.run)).toBe(true);
    expect(isCommandEnabled(model, CommandIDs.runWithOptions)).toBe(true);
    expect(isCommandEnabled(model, CommandIDs.push)).toBe(false);
    expect(isCommandEnabled(model, CommandIDs.pushAndRun)).toBe(false);
    expect(isCommandEnabled(model, CommandIDs.link)).toBe(false);
    expect(isCommandEnabled(model, CommandIDs.unlink)).toBe(true);
    model.dispose();
  });

  it('enables cancel only while a run is going', async () => {
    const { model } = await modelWith(
      ['list', 'push', 'execute', 'cancel', 'logs'],
      [execution('e2', 'inProgress'), execution('e1', 'completed')]
    );
    model.setNotebook(linked());
    expect(isCommandEnabled(model, CommandIDs.cancel)).toBe(false);
    await model.refresh();
    await settle();
    expect(model.executions).toHaveLength(2);
    expect(isCommandEnabled(model, CommandIDs.cancel)).toBe(true);
    model.dispose();
  });
});

describe('addCommands', () => {
  it('registers every command, follows the model and opens the link chooser', async () => {
    const { model } = await modelWith(['list', 'create', 'push', 'execute']);
    const commands = new CommandRegistry();
    let opened = 0;
    let runsOpened = 0;
    addCommands({
      commands,
      model,
      trans,
      openPanel: () => opened++,
      openRuns: () => runsOpened++
    });
    // The file browser's commands are registered with the file browser.
    const ids = (Object.values(CommandIDs) as string[]).filter(
      id => !id.startsWith('notebook-remote:browser-')
    );
    for (const id of ids) {
      expect(commands.hasCommand(id)).toBe(true);
      expect(commands.label(id)).toBeTruthy();
    }
    const changed: string[] = [];
    commands.commandChanged.connect((_, args) => changed.push(args.id ?? ''));
    model.setNotebook(new FakeNotebook('a.ipynb'));
    expect(changed).toContain(CommandIDs.link);
    expect(commands.isEnabled(CommandIDs.link)).toBe(true);
    expect(commands.isEnabled(CommandIDs.push)).toBe(false);
    await commands.execute(CommandIDs.link);
    expect(opened).toBe(1);
    expect(model.chooser.state).not.toBeNull();
    await commands.execute(CommandIDs.openPanel);
    expect(opened).toBe(2);
    await commands.execute(CommandIDs.openRuns);
    expect(runsOpened).toBe(1);
    model.dispose();
  });

  it('re-notifies only the commands a change affects', async () => {
    const { model } = await modelWith(
      ['list', 'push', 'execute', 'cancel'],
      [execution('e2', 'inProgress')]
    );
    const commands = new CommandRegistry();
    addCommands({
      commands,
      model,
      trans,
      openPanel: () => undefined,
      openRuns: () => undefined
    });
    const notebook = linked();
    model.setNotebook(notebook);
    await settle();
    const changed = new Set<string>();
    commands.commandChanged.connect((_, args) => changed.add(args.id ?? ''));
    notebook.edit();
    expect([...changed]).toEqual([]);
    await model.refresh();
    await settle();
    expect([...changed]).toEqual([CommandIDs.cancel]);
    model.dispose();
  });
});

describe('notifications', () => {
  const event = (
    status: 'completed' | 'errored' | 'canceled' | 'timeout',
    errors = [] as { name: string; message: string }[]
  ) => ({
    execution: execution('e1', status, { errors }),
    connection: 'c1',
    notebookId: NB_ID,
    notebookName: 'Sales'
  });

  it('says how the run ended', () => {
    expect(finishedMessage(event('completed'), trans)).toEqual({
      message: 'Run of Sales completed',
      type: 'success'
    });
    expect(finishedMessage(event('timeout'), trans).message).toBe(
      'Run of Sales timed out'
    );
    expect(finishedMessage(event('canceled'), trans).type).toBe('info');
    const errored = finishedMessage(
      event('errored', [{ name: 'RuntimeError', message: 'boom' }]),
      trans
    );
    expect(errored.type).toBe('error');
    expect(errored.message).toBe('Run of Sales errored: RuntimeError: boom');
  });

  it('emits one notification per finished run with a Show details action', async () => {
    // A run ends seen in the run history, so the connection has one (logs);
    // its name is the remote notebook's, read because it can (list).
    const { model, server } = await modelWith(['list', 'execute', 'logs']);
    model.setNotebook(linked());
    await settle();
    const emit = jest.spyOn(Notification, 'emit').mockReturnValue('id');
    const shown: string[] = [];
    connectNotifications(
      model,
      trans,
      e => shown.push(e.execution.id),
      () => undefined
    );
    const finish = async (status: 'completed' | 'errored') => {
      const id = (await model.run())!;
      server.setStatus(NB_ID, id, status);
      await model.refresh();
      await settle();
      return id;
    };
    const id = await finish('completed');
    expect(emit).toHaveBeenCalledTimes(1);
    const [message, type, options] = emit.mock.calls[0];
    expect(message).toBe('Run of sales completed');
    expect(type).toBe('success');
    expect(options?.actions?.[0].label).toBe('Show details');
    options!.actions![0].callback(new MouseEvent('click'));
    expect(shown).toEqual([id]);

    model.updateSettings({ ...model.settings, notifyOnFinish: false });
    server.nextExecutionId = 'aaaaaaaaaaaaaaaaaaaaaa02';
    await finish('errored');
    expect(emit).toHaveBeenCalledTimes(1);
    emit.mockRestore();
    model.dispose();
  });
});
