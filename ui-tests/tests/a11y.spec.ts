/**
 * Keyboard and screen readers: axe-core scans the panel and the runs view
 * (each with a run's details open) in the light and the dark theme and finds
 * no serious or critical violation; the runs view works from the keyboard,
 * with its focus visible.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { openPanel, PANEL_SELECTOR, runs, SCREENSHOTS } from './helpers';

const RUNS_VIEW = '#notebook-remote-runs';

/** A notebook linked to a local remote notebook with one completed run. */
async function notebookWithRun(
  request: APIRequestContext,
  filePath: string
): Promise<string> {
  const created = await request.post(
    '/notebook-remote/connections/local/notebooks',
    { data: { name: 'accessible' } }
  );
  expect(created.status()).toBe(201);
  const id = (await created.json()).id;
  const saved = await request.put(`/api/contents/${filePath}`, {
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
          },
          language_info: { name: 'python' },
          notebook_remote: { connection: 'local', notebookId: id }
        },
        cells: [
          {
            cell_type: 'code',
            id: 'c1',
            source: 'print("hello")',
            metadata: {},
            outputs: [],
            execution_count: null
          }
        ]
      }
    }
  });
  expect(saved.ok()).toBe(true);
  const base = `/notebook-remote/connections/local/notebooks/${id}`;
  expect(
    (await request.post(`${base}/push`, { data: { path: filePath } })).ok()
  ).toBe(true);
  expect(
    (await request.post(`${base}/executions`, { data: {} })).status()
  ).toBe(202);
  await expect
    .poll(
      async () =>
        (await (await request.get(`${base}/executions`)).json()).items[0]
          ?.status,
      { timeout: 90000, intervals: [1000] }
    )
    .toBe('completed');
  return id;
}

/** The serious and critical violations axe finds in `selector`. */
async function violations(
  page: IJupyterLabPageFixture,
  selector: string
): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  // It did look at something: rules passed on the part scanned.
  expect(result.passes.length).toBeGreaterThan(10);
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(
      v =>
        `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`
    );
}

async function record(target: Locator, name: string): Promise<void> {
  const image = await target.screenshot();
  await test.info().attach(name, { body: image, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, `${name}.png`), image);
  }
}

test.describe('accessibility', () => {
  test('axe finds nothing serious in the panel and the runs view, light and dark', async ({
    page,
    request,
    tmpPath
  }) => {
    await notebookWithRun(request, `${tmpPath}/accessible.ipynb`);
    await page.filebrowser.open(`${tmpPath}/accessible.ipynb`);
    const panel = await openPanel(page);
    await expect(runs(panel)).toHaveCount(1);
    await runs(panel).first().click();
    await expect(panel.locator('.jp-NotebookRemote-runDetails')).toBeVisible();

    // The panel links to the runs view.
    await panel.getByRole('button', { name: 'Open Remote runs' }).click();
    const view = page.locator(RUNS_VIEW);
    await expect(view).toBeVisible();
    const row = view.locator('tbody tr[data-run-key]');
    await expect(row).toHaveCount(1);
    await row.getByRole('button', { name: 'accessible' }).click();
    await expect(
      view.getByRole('region', { name: 'Run details' })
    ).toBeVisible();

    for (const theme of ['light', 'dark']) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      expect(await violations(page, PANEL_SELECTOR)).toEqual([]);
      expect(await violations(page, RUNS_VIEW)).toEqual([]);
      await page.sidebar.setWidth(360, 'left');
      await record(panel, `a11y-panel-${theme}`);
      await record(view, `runs-view-details-${theme}`);
    }
  });

  test('the runs view works from the keyboard, its focus visible', async ({
    page,
    request,
    tmpPath
  }) => {
    await notebookWithRun(request, `${tmpPath}/keys.ipynb`);
    await page.filebrowser.open(`${tmpPath}/keys.ipynb`);
    await page.evaluate(() =>
      (window as any).jupyterapp.commands.execute('notebook-remote:open-runs')
    );
    const view = page.locator(RUNS_VIEW);
    const button = view
      .locator('tbody tr[data-run-key]')
      .first()
      .getByRole('button', {
        name: 'accessible'
      });
    await expect(button).toBeVisible();
    // Tab from the filters reaches the run; Enter opens its details.
    await view.getByLabel('Notebook', { exact: true }).focus();
    await page.keyboard.press('Tab');
    await expect(button).toBeFocused();
    const outline = await button.evaluate(
      node => getComputedStyle(node).outlineStyle
    );
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    const pane = view.getByRole('region', { name: 'Run details' });
    await expect(pane).toBeVisible();
    await pane.getByRole('button', { name: 'Show log' }).focus();
    await page.keyboard.press('Enter');
    await expect(pane.getByLabel('result.log')).toContainText('hello');
  });
});
