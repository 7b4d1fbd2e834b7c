/**
 * No silent overwrite, and the remote's file opened in JupyterLab: the
 * link's `updatedAt` guards a push; a pull saves a linked copy and opens it.
 */
import { copyName } from '../models/pull';
import {
  FakeNotebook,
  FakeServer,
  json,
  linkedNotebook,
  modelOf,
  NB_ID,
  OTHER_NB_ID,
  route
} from './fakes';

const SEEN = '2026-11-20T10:00:00.000Z';
const NOW_HELD = '2026-11-22T03:00:00.000Z';

async function following(notebook: FakeNotebook) {
  const server = new FakeServer();
  const opened: string[] = [];
  const model = modelOf(server, { openPath: path => opened.push(path) });
  await model.loadConnections();
  model.setNotebook(notebook);
  return { server, model, notebook, opened, requests: server.requests };
}

const bodyOf = (server: FakeServer, ending: string) =>
  server.requests
    .filter(r => route(r).endsWith(ending))
    .map(r => JSON.parse(r.body!));

describe('the overwrite guard', () => {
  it("sends the updatedAt the link saw, then remembers the remote's new one", async () => {
    const notebook = new FakeNotebook('work/sales.ipynb', {
      connection: 'local',
      notebookId: NB_ID,
      updatedAt: SEEN
    });
    const { server, model } = await following(notebook);
    expect(await model.push()).toBe(true);
    expect(bodyOf(server, '/push')).toEqual([
      { path: 'work/sales.ipynb', expectUpdatedAt: SEEN }
    ]);
    expect(notebook.getLink()?.updatedAt).toBe(NOW_HELD);
    expect(notebook.dirty).toBe(false);
    model.dispose();
  });

  it('says when the remote changed, and overwrites only when asked', async () => {
    const notebook = new FakeNotebook('work/sales.ipynb', {
      connection: 'local',
      notebookId: NB_ID,
      updatedAt: SEEN
    });
    const { server, model } = await following(notebook);
    server.fail(
      r => r.endsWith('/push'),
      json({ message: 'changed since', reason: 'remote_changed' }, 409)
    );
    expect(await model.push()).toBe(false);
    expect(model.pushRefusedAsChanged).toBe(true);
    expect(notebook.getLink()?.updatedAt).toBe(SEEN);
    server.heal();
    expect(await model.push(true)).toBe(true);
    expect(model.pushRefusedAsChanged).toBe(false);
    expect(bodyOf(server, '/push')).toEqual([
      { path: 'work/sales.ipynb', expectUpdatedAt: SEEN },
      { path: 'work/sales.ipynb' }
    ]);
    model.dispose();
  });

  it('asks before a first push over a remote file the link never saw', async () => {
    const { server, model, notebook } = await following(linkedNotebook());
    server.notebooks.get(NB_ID)!.fileName = 'sales.ipynb';
    await model.refresh();
    expect(await model.push()).toBe(false);
    expect(model.pushRefusedAsChanged).toBe(true);
    expect(model.error('actions')?.message).toContain('"sales" already holds');
    expect(server.count('POST', '/push')).toBe(0);
    expect(notebook.saves).toBe(0);
    expect(await model.push(true)).toBe(true);
    expect(server.count('POST', '/push')).toBe(1);
    model.dispose();
  });

  it("does not take the session's own pushes from the file browser for a change", async () => {
    const link = { connection: 'local', notebookId: NB_ID, updatedAt: SEEN };
    const { server, model } = await following(
      new FakeNotebook('work/sales.ipynb', { ...link })
    );
    await model.pushFile('work/sales.ipynb', link);
    expect(await model.push()).toBe(true);
    expect(bodyOf(server, '/push').map(b => b.expectUpdatedAt)).toEqual([
      SEEN,
      NOW_HELD
    ]);
    model.dispose();
  });
});

describe('opening the remote copy', () => {
  it('saves a linked copy beside the notebook under a free name, and opens it', async () => {
    const { server, model, opened } = await following(linkedNotebook());
    server.files.add('work/sales (remote).ipynb');
    expect(await model.openRemoteCopy()).toBe('work/sales (remote) 2.ipynb');
    expect(bodyOf(server, '/pull')).toEqual([
      { path: 'work/sales (remote).ipynb', overwrite: false },
      { path: 'work/sales (remote) 2.ipynb', overwrite: false }
    ]);
    expect(opened).toEqual(['work/sales (remote) 2.ipynb']);
    model.dispose();
  });

  it("opens another remote notebook's copy, named after it, from the chooser", async () => {
    const { server, model, opened } = await following(
      new FakeNotebook('work/empty.ipynb')
    );
    const link = { connection: 'local', notebookId: OTHER_NB_ID };
    expect(await model.openRemoteCopy(link, 'Q3: sales/costs')).toBe(
      'work/Q3- sales-costs.ipynb'
    );
    expect(route(server.requests[server.requests.length - 1])).toBe(
      `connections/local/notebooks/${OTHER_NB_ID}/pull`
    );
    expect(opened).toEqual(['work/Q3- sales-costs.ipynb']);
    model.dispose();
  });

  it('says why when the remote has no file, and opens nothing', async () => {
    const { server, model, opened } = await following(linkedNotebook());
    server.fail(
      '/pull',
      json({ message: 'has no file yet: push first', reason: 'no_file' }, 404)
    );
    expect(await model.openRemoteCopy()).toBeNull();
    expect(model.error('actions')?.reason).toBe('no_file');
    expect(opened).toEqual([]);
    model.dispose();
  });

  it('replaces the open notebook and reads it again, keeping its folder choice', async () => {
    const notebook = new FakeNotebook('work/sales.ipynb', {
      connection: 'local',
      notebookId: NB_ID,
      folder: 'tree'
    });
    const { server, model } = await following(notebook);
    // What the server wrote: its own link, without the folder choice.
    notebook.revert = async () => {
      notebook.reverts++;
      notebook.setLink({
        connection: 'local',
        notebookId: NB_ID,
        updatedAt: NOW_HELD
      });
    };
    expect(await model.replaceWithRemoteCopy()).toBe(true);
    expect(bodyOf(server, '/pull')).toEqual([
      { path: 'work/sales.ipynb', overwrite: true }
    ]);
    expect(notebook.reverts).toBe(1);
    expect(notebook.getLink()).toEqual({
      connection: 'local',
      notebookId: NB_ID,
      updatedAt: NOW_HELD,
      folder: 'tree'
    });
    model.dispose();
  });
});

describe('copyName', () => {
  it('keeps a remote name readable and makes it a safe file name', () => {
    expect(copyName('Weekly report')).toBe('Weekly report');
    expect(copyName('a/b\\c:d')).toBe('a-b-c-d');
    expect(copyName('..hidden')).toBe('hidden');
    expect(copyName('   ')).toBe('remote notebook');
  });
});
