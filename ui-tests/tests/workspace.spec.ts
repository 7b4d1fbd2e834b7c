/**
 * Where Jupyter users look: the file browser's menu on notebooks (one and
 * several selected), the "Remote runs" view (filters, a run started from
 * another tab appearing live, cancel), and the status bar item.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { PANEL_SELECTOR, SCREENSHOTS } from './helpers';

const RUNS_VIEW = '#notebook-remote-runs';

/** Make a remote notebook on `local`; resolves its id. */
async function remoteNotebook(
  request: APIRequestContext,
  name: string
): Promise<string> {
  const response = await request.post(
    '/notebook-remote/connections/local/notebooks',
    { data: { name } }
  );
  expect(response.status()).toBe(201);
  return (await response.json()).id;
}

/** Save a notebook file with one code cell, linked to `notebookId` (or not). */
async function saveNotebook(
  request: APIRequestContext,
  filePath: string,
  source: string,
  notebookId: string | null
): Promise<void> {
  const metadata: Record<string, unknown> = {
    kernelspec: {
      name: 'python3',
      display_name: 'Python 3',
      language: 'python'
    },
    language_info: { name: 'python' }
  };
  if (notebookId) {
    metadata.notebook_remote = { connection: 'local', notebookId };
  }
  const response = await request.put(`/api/contents/${filePath}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata,
        cells: [
          {
            cell_type: 'code',
            id: 'c1',
            source,
            metadata: {},
            outputs: [],
            execution_count: null
          }
        ]
      }
    }
  });
  expect(response.ok()).toBe(true);
}

/** The file browser's item of a file. */
function item(page: IJupyterLabPageFixture, name: string): Locator {
  return page.locator(`.jp-DirListing-item[title^="Name: ${name}"]`);
}

/**
 * The context menu's entry with this label, exactly ("Run on Remote" also
 * starts "Run on Remote with Options…").
 */
function menuItem(page: IJupyterLabPageFixture, label: string): Locator {
  return page.getByRole('menuitem', { name: label, exact: true });
}

/** The runs view's rows. */
function rows(page: IJupyterLabPageFixture): Locator {
  return page.locator(`${RUNS_VIEW} tbody tr[data-run-key]`);
}

async function record(
  page: IJupyterLabPageFixture,
  target: Locator,
  name: string
): Promise<void> {
  const image = await target.screenshot();
  await test.info().attach(name, { body: image, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, `${name}.png`), image);
  }
}

test.describe('file browser, runs view and status bar', () => {
  test('push and run two selected notebooks, watch them in the runs view, cancel one', async ({
    page,
    request,
    tmpPath
  }) => {
    const quickId = await remoteNotebook(request, 'quick');
    const slowId = await remoteNotebook(request, 'slow');
    await saveNotebook(request, `${tmpPath}/quick.ipynb`, 'x = 1', quickId);
    await saveNotebook(
      request,
      `${tmpPath}/slow.ipynb`,
      'import time\ntime.sleep(120)',
      slowId
    );
    await page.filebrowser.openDirectory(tmpPath);
    await page.filebrowser.refresh();

    // Several selected: push and run, no "Link…" (it is for one notebook).
    await item(page, 'quick.ipynb').click();
    await item(page, 'slow.ipynb').click({ modifiers: ['Control'] });
    await item(page, 'slow.ipynb').click({ button: 'right' });
    await expect(menuItem(page, 'Push to Remote')).toBeVisible();
    await expect(menuItem(page, 'Run on Remote')).toBeVisible();
    await expect(menuItem(page, 'Open Remote Runs')).toBeVisible();
    await expect(menuItem(page, 'Link to Remote Notebook…')).toBeHidden();
    await record(page, page.locator('.lm-Menu').first(), 'file-browser-menu');
    await menuItem(page, 'Push to Remote').click();
    await expect(
      page
        .locator('.Toastify__toast')
        .filter({ hasText: 'Pushed: quick.ipynb, slow.ipynb' })
    ).toBeVisible();

    await item(page, 'slow.ipynb').click({ button: 'right' });
    await menuItem(page, 'Run on Remote').click();
    await expect(
      page
        .locator('.Toastify__toast')
        .filter({ hasText: 'Runs started: quick.ipynb, slow.ipynb' })
    ).toBeVisible();

    // The status bar says runs are going; a click opens the runs view.
    const status = page.locator('.jp-NotebookRemote-statusItem');
    await expect(status).toHaveText(/^[12] remote runs? active$/);
    await record(page, page.locator('#jp-main-statusbar'), 'status-bar-item');
    await status.click();
    const view = page.locator(RUNS_VIEW);
    await expect(view).toBeVisible();
    await expect(rows(page)).toHaveCount(2);
    const quick = rows(page).filter({ hasText: 'quick' });
    const slow = rows(page).filter({ hasText: 'slow' });
    await expect(quick).toHaveAttribute('data-status', 'completed', {
      timeout: 90000
    });
    await expect(slow).toHaveAttribute('data-status', 'inProgress', {
      timeout: 60000
    });
    await expect(status).toHaveText('1 remote run active');
    await expect(slow).toContainText('This machine');

    // Filters: by status, by notebook.
    const statusFilter = view.getByLabel('Status', { exact: true });
    await statusFilter.selectOption('completed');
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toContainText('quick');
    await statusFilter.selectOption('');
    await view.getByLabel('Notebook', { exact: true }).selectOption({
      label: 'slow'
    });
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toContainText('slow');
    await record(page, view, 'runs-view-light');

    // Details of the run, then cancel it (with confirmation).
    await slow.getByRole('button', { name: 'slow', exact: true }).click();
    const pane = view.getByRole('region', { name: 'Run details' });
    await expect(pane).toContainText(`${tmpPath}/slow.ipynb`);
    await slow.getByRole('button', { name: 'Cancel run of slow' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Cancel this run?');
    await dialog.getByRole('button', { name: 'Keep running' }).click();
    await expect(slow).toHaveAttribute('data-status', 'inProgress');
    await slow.getByRole('button', { name: 'Cancel run of slow' }).click();
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await expect(slow).toHaveAttribute('data-status', 'canceled', {
      timeout: 30000
    });
    // Nothing goes any more: the status bar item is hidden.
    await expect(status).toBeHidden();
  });

  test('a run started from another tab appears live in the runs view', async ({
    page,
    request,
    tmpPath
  }) => {
    const id = await remoteNotebook(request, 'elsewhere');
    await saveNotebook(request, `${tmpPath}/elsewhere.ipynb`, 'y = 2', id);
    await page.filebrowser.openDirectory(tmpPath);
    await page.filebrowser.refresh();
    // "Open Remote Runs" on the notebook: the view, filtered to it.
    await item(page, 'elsewhere.ipynb').click({ button: 'right' });
    await menuItem(page, 'Push to Remote').click();
    await expect(
      page.locator('.Toastify__toast').filter({ hasText: 'Pushed:' })
    ).toBeVisible();
    await item(page, 'elsewhere.ipynb').click({ button: 'right' });
    await menuItem(page, 'Open Remote Runs').click();
    const view = page.locator(RUNS_VIEW);
    await expect(view).toBeVisible();
    await expect(view.getByLabel('Notebook', { exact: true })).toHaveValue(
      `local/${id}`
    );
    await expect(view).toContainText('No runs yet.');

    // Another tab (here: the REST API) starts a run.
    const started = await request.post(
      `/notebook-remote/connections/local/notebooks/${id}/executions`,
      { data: {} }
    );
    expect(started.status()).toBe(202);
    // Shown without a reload, within the poll's idle interval (30 s).
    await expect(rows(page)).toHaveCount(1, { timeout: 45000 });
    await expect(rows(page).first()).toHaveAttribute(
      'data-status',
      'completed',
      { timeout: 90000 }
    );
  });

  test('"Link to Remote Notebook…" on an unlinked notebook opens the chooser', async ({
    page,
    request,
    tmpPath
  }) => {
    await saveNotebook(request, `${tmpPath}/lonely.ipynb`, 'z = 3', null);
    await page.filebrowser.openDirectory(tmpPath);
    await page.filebrowser.refresh();
    await item(page, 'lonely.ipynb').click({ button: 'right' });
    await menuItem(page, 'Link to Remote Notebook…').click();
    // The command opens the notebook, then the panel with its chooser.
    const panel = page.locator(PANEL_SELECTOR);
    await expect(panel).toBeVisible();
    await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
    await expect(
      panel.getByLabel('New notebook name', { exact: true })
    ).toHaveValue('lonely');
    // Nothing runs: the status bar item is hidden.
    await expect(page.locator('.jp-NotebookRemote-statusItem')).toBeHidden();
    // Run on an unlinked notebook says so, and offers to link it.
    await page.sidebar.openTab('filebrowser');
    await item(page, 'lonely.ipynb').click({ button: 'right' });
    await menuItem(page, 'Run on Remote').click();
    await expect(
      page
        .locator('.Toastify__toast')
        .filter({ hasText: 'Not linked to a remote notebook: lonely.ipynb' })
    ).toBeVisible();
  });
});

test('the launcher has a Remote runs card, which opens the view', async ({
  page
}) => {
  // JupyterLab starts with a launcher open.
  const card = page
    .locator('.jp-LauncherCard')
    .filter({ hasText: 'Open Remote Runs', visible: true });
  await expect(card).toBeVisible();
  await card.click();
  const view = page.locator(RUNS_VIEW);
  await expect(view).toBeVisible();
  // Nothing linked yet in this workspace: it says how to get there.
  await expect(view).toContainText(
    'No notebook of this workspace is linked yet.'
  );
});
