/**
 * The actions of the model: connections, linking, push, run, cancel,
 * input export and result notebooks.
 */
import { Contents } from '@jupyterlab/services';

import {
  execution,
  FakeNotebook,
  FakeServer,
  linkedNotebook,
  modelOf,
  NB_ID,
  OTHER_NB_ID,
  route,
  settle
} from './fakes';

/** A model whose connections are loaded, following `notebook`. */
async function following(notebook: FakeNotebook = linkedNotebook()) {
  const server = new FakeServer();
  const model = modelOf(server);
  await model.loadConnections();
  model.setNotebook(notebook);
  return { server, model, notebook, requests: server.requests };
}

describe('RemoteModel actions', () => {
  it('loads usage of a notebook followed before the connections were known', async () => {
    const server = new FakeServer();
    const model = modelOf(server);
    model.setNotebook(linkedNotebook());
    await settle(20);
    expect(model.usage).toBeNull();
    await model.start();
    await settle(20);
    expect(model.usage).not.toBeNull();
    expect(model.remoteNotebook?.name).toBe('sales');
    model.dispose();
  });

  it('saves before pushing, then knows the local file matches the push', async () => {
    const { server, model, notebook, requests } = await following();
    notebook.edit();
    expect(model.localChangedSincePush).toBe(true);
    const order: string[] = [];
    const save = notebook.save.bind(notebook);
    const pushed = () => requests.some(r => route(r).endsWith('/push'));
    notebook.save = async () => {
      order.push(pushed() ? 'save the link' : 'save');
      await save();
    };
    const pushing = model.push();
    expect(model.pushProgress?.stage).toBe('saving');
    expect(await pushing).toBe(true);
    const push = requests.find(r => route(r).endsWith('/push'))!;
    // Saved, pushed, and saved again with what the remote now holds.
    expect(order).toEqual(['save', 'save the link']);
    expect(notebook.getLink()?.updatedAt).toBe('2026-11-22T03:00:00.000Z');
    expect(notebook.dirty).toBe(false);
    expect(JSON.parse(push.body!)).toEqual({ path: 'work/sales.ipynb' });
    expect(model.pushProgress).toBeNull();
    expect(model.notice).toBe('Pushed sales.ipynb.');
    expect(model.localChangedSincePush).toBe(false);
    notebook.edit();
    expect(model.localChangedSincePush).toBe(true);
    expect(server.runChecks()).toBe(0);
    model.dispose();
  });

  it("sends the link's choice of files beside the notebook with each push", async () => {
    const { server, model, notebook, requests } = await following();
    model.setFolder('tree');
    expect(notebook.getLink()).toEqual({
      connection: 'local',
      notebookId: NB_ID,
      folder: 'tree'
    });
    server.pushFolder = { files: 2, bytes: 1200, subfolders: true };
    expect(await model.push()).toBe(true);
    const push = requests.find(r => route(r).endsWith('/push'))!;
    expect(JSON.parse(push.body!)).toEqual({
      path: 'work/sales.ipynb',
      folder: 'tree'
    });
    expect(model.pushFolder).toEqual({
      files: 2,
      bytes: 1200,
      subfolders: true
    });
    model.dispose();
  });

  it('does not run when the push failed', async () => {
    const { model, notebook, requests } = await following();
    notebook.save = async () => {
      throw new Error('Disk full');
    };
    expect(await model.pushAndRun()).toBeNull();
    expect(model.error('actions')?.message).toBe('Disk full');
    expect(requests.some(r => r.method === 'POST')).toBe(false);
    model.dispose();
  });

  it('picks the connection of the link, offers only what it can do and says why', async () => {
    const server = new FakeServer();
    const model = modelOf(server);
    await model.loadConnections();
    expect(model.connectionId).toBe('local');
    model.setNotebook(linkedNotebook());
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
    const { model, notebook, requests } = await following(
      new FakeNotebook('work/sales.ipynb')
    );
    expect(model.defaultRemoteName).toBe('sales');
    model.chooser.open();
    expect(model.chooser.state).not.toBeNull();
    expect(await model.chooser.createAndLink('  ')).toBe(false);
    expect(model.error('link')?.reason).toBe('invalid_input');
    expect(await model.chooser.createAndLink(model.defaultRemoteName)).toBe(
      true
    );
    const create = requests.find(
      r => r.method === 'POST' && route(r) === 'connections/local/notebooks'
    )!;
    expect(JSON.parse(create.body!)).toEqual({ name: 'sales' });
    expect(notebook.getLink()).toEqual({
      connection: 'local',
      notebookId: OTHER_NB_ID
    });
    expect(model.chooser.state).toBeNull();
    model.unlink();
    expect(notebook.getLink()).toBeNull();
    model.dispose();
  });

  it('drops what belonged to the previous link before announcing a new one', async () => {
    const { server, model, notebook } = await following();
    server.runs.set(NB_ID, [execution('e1', 'completed')]);
    model.setVisible(true);
    await model.refresh();
    await settle();
    expect(model.executions).toHaveLength(1);
    expect(model.usage).not.toBeNull();
    const seen: string[] = [];
    model.linkChanged.connect(() => {
      seen.push(
        `${model.link?.notebookId}:${model.executions.length}:${model.usage}`
      );
    });
    notebook.setLink({ connection: 'local', notebookId: OTHER_NB_ID });
    expect(seen).toEqual([`${OTHER_NB_ID}:0:null`]);
    notebook.edit();
    expect(seen).toHaveLength(1);
    model.dispose();
  });

  it('cancels the selected active run and shows it canceling', async () => {
    const { server, model, requests } = await following();
    server.runs.set(NB_ID, [
      execution('e2', 'completed'),
      execution('e1', 'inProgress')
    ]);
    model.setVisible(true);
    await model.refresh();
    await settle(20);
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

  it('asks for an input export with the query time and email, and says what was queued', async () => {
    const now = Date.UTC(2026, 10, 22, 12);
    const server = new FakeServer();
    const model = modelOf(server, { now: () => now });
    await model.loadConnections();
    model.setNotebook(linkedNotebook('work/sales.ipynb', NB_ID, 'plant-a'));
    await settle(20);
    expect(
      await model.requestInputExport({
        ago: 86400000,
        email: 'ops@example.com'
      })
    ).toBeNull();
    const post = server.requests.find(r => route(r).endsWith('input-export'))!;
    expect(JSON.parse(post.body!)).toEqual({
      email: 'ops@example.com',
      relativeTo: now - 86400000
    });
    expect(model.notice).toContain('emailed to ops@example.com');
    model.dispose();
  });

  it('saves result.ipynb next to the notebook without overwriting, then opens it', async () => {
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
    const model = modelOf(new FakeServer(), {
      contents,
      openPath: path => opened.push(path)
    });
    await model.loadConnections();
    model.setNotebook(linkedNotebook());
    const path = await model.openResultNotebook('aaaaaa000000000000000001');
    expect(path).toBe('work/sales.result-aaaaaa-1.ipynb');
    expect(saved[0][0]).toBe('work/sales.result-aaaaaa-1.ipynb');
    expect(saved[0][1]).toMatchObject({ type: 'notebook', format: 'json' });
    expect((saved[0][1].content as any).nbformat).toBe(4);
    // The copy keeps its metadata but not the link to the remote notebook.
    expect((saved[0][1].content as any).metadata).toEqual({
      kernelspec: { name: 'python3' }
    });
    expect(opened).toEqual(['work/sales.result-aaaaaa-1.ipynb']);
    model.dispose();
  });
});
