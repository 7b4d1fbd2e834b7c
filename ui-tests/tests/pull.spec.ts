/**
 * The remote's file in JupyterLab, and no silent overwrite: "Open remote
 * copy" saves a linked copy beside the notebook and opens it; a push over a
 * remote that changed since asks first.
 */
import { expect, test } from '@jupyterlab/galata';

import { createNotebook, linkToNewRemote, openPanel } from './helpers';

test.describe('the remote copy', () => {
  test('open remote copy opens a linked notebook; a stale push asks first', async ({
    page,
    request,
    tmpPath
  }) => {
    await createNotebook(page, 'mine.ipynb', ['print("pushed version")']);
    const panel = await openPanel(page);
    await linkToNewRemote(panel, 'mine');
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(panel.locator('.jp-NotebookRemote-notice')).toHaveText(
      'Pushed mine.ipynb.'
    );
    const saved = await request.get(`/api/contents/${tmpPath}/mine.ipynb`);
    const link = (await saved.json()).content.metadata.notebook_remote;

    await panel.getByRole('button', { name: 'Open remote copy' }).click();
    const copyPath = `${tmpPath}/mine (remote).ipynb`;
    await expect(
      page.activity.getTabLocator('mine (remote).ipynb')
    ).toBeVisible();
    await expect(
      page.locator('.jp-NotebookPanel:visible .jp-Cell').first()
    ).toContainText('print("pushed version")');
    // The copy is linked to the same remote notebook, with what it held.
    await expect(panel.locator('.jp-NotebookRemote-link')).toContainText(
      'Linked to mine'
    );
    const copy = await request.get(`/api/contents/${copyPath}`);
    expect((await copy.json()).content.metadata.notebook_remote).toEqual({
      connection: 'local',
      notebookId: link.notebookId,
      updatedAt: link.updatedAt
    });

    // Another push from the copy moves the remote on; the first notebook's
    // link is now stale, so its push asks before it overwrites.
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(panel.locator('.jp-NotebookRemote-notice')).toHaveText(
      'Pushed mine (remote).ipynb.'
    );
    await page.activity.activateTab('mine.ipynb');
    await expect(panel.locator('.jp-NotebookRemote-link')).toContainText(
      'Linked to mine'
    );
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('The remote notebook changed');
    await expect(dialog).toContainText('nothing was sent');
    await dialog.getByRole('button', { name: "Don't push" }).click();
    await expect(dialog).toHaveCount(0);

    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await dialog.getByRole('button', { name: 'Overwrite it' }).click();
    await expect(panel.locator('.jp-NotebookRemote-notice')).toHaveText(
      'Pushed mine.ipynb.'
    );
  });
});
