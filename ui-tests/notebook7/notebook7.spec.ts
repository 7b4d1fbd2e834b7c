/**
 * Jupyter Notebook 7: the panel opens in the notebook page's left area, the
 * notebook toolbar's "Push and run" runs the notebook on `local` to its end,
 * and the Remote runs view opens (in the right area: a Notebook 7 page's
 * main area holds the notebook).
 */
import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const PANEL = '#notebook-remote-panel';
const RUNS_VIEW = '#notebook-remote-runs';

/** Run a command of the application (exposed as window.jupyterapp). */
async function execute(page: Page, command: string): Promise<void> {
  await page.waitForFunction(() => !!(window as any).jupyterapp);
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute(id),
    command
  );
}

test('panel, push and run on local, runs view in Jupyter Notebook 7', async ({
  page,
  request
}) => {
  const name = `nb7-${Date.now()}.ipynb`;
  const saved = await request.put(`/api/contents/${name}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {
          kernelspec: {
            name: 'python3',
            display_name: 'Python 3',
            language: 'python'
          }
        },
        cells: [
          {
            cell_type: 'code',
            id: 'c1',
            source: 'print(6 * 7)',
            metadata: {},
            outputs: [],
            execution_count: null
          }
        ]
      }
    }
  });
  expect(saved.ok()).toBe(true);

  await page.goto(`/notebooks/${name}`);
  await expect(page.locator('.jp-Notebook')).toBeVisible({ timeout: 60000 });
  // The notebook toolbar has the extension's button.
  const toolbarButton = page.locator(
    '.jp-NotebookPanel-toolbar [data-jp-item-name="notebook-remote-push-and-run"]'
  );
  await expect(toolbarButton).toBeVisible();

  await execute(page, 'notebook-remote:open-panel');
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  await expect(panel.locator('select[aria-label="Connection"]')).toHaveValue(
    'local'
  );
  await panel.getByRole('button', { name: 'Link', exact: true }).click();
  await panel.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(
    panel.getByRole('button', { name: 'Unlink', exact: true })
  ).toBeVisible();

  await toolbarButton.click();
  const run = panel
    .locator('.jp-NotebookRemote-run[data-execution-id]')
    .first();
  await expect(run).toHaveAttribute('data-status', 'completed', {
    timeout: 90000
  });

  await execute(page, 'notebook-remote:open-runs');
  const view = page.locator(RUNS_VIEW);
  await expect(view).toBeVisible();
  const row = view.locator('tbody tr[data-run-key]');
  await expect(row).toHaveCount(1);
  await expect(row.first()).toHaveAttribute('data-status', 'completed');
  await expect(row.first()).toContainText(name.replace(/\.ipynb$/, ''));

  const image = await page.screenshot();
  await test
    .info()
    .attach('notebook7', { body: image, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS) {
    const screenshots = path.resolve(__dirname, '..', 'screenshots');
    fs.mkdirSync(screenshots, { recursive: true });
    fs.writeFileSync(path.join(screenshots, 'notebook7.png'), image);
  }
});
