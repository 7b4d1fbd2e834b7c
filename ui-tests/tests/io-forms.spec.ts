/**
 * A Losant notebook's inputs and outputs, edited in the panel against the
 * loopback fake: add an input in its form (refused until Losant would take
 * it), save, reload the page and see it; insert the cell that reads it;
 * edit it, save, reload, see the edit.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  createNotebook,
  linkToNewRemote,
  openPanel,
  readFakeState,
  recordPanel,
  selectConnection,
  setToken
} from './helpers';

/**
 * Reload the page, the notebook open again as the workspace had it, and
 * return the panel. (Galata's own wait expects a Launcher tab active.)
 */
async function reload(page: IJupyterLabPageFixture): Promise<Locator> {
  // Galata's option, missing from the fixture's type.
  await page.reload({ waitForIsReady: false } as { timeout?: number });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await page.activity.activateTab('io-forms.ipynb');
  return openPanel(page);
}

/** The input rows of the panel (a form each while editing). */
const inputs = (panel: Locator) => panel.locator('li[data-direction="inputs"]');

test.describe('Losant inputs and outputs in the panel', () => {
  test.beforeEach(async ({ request }) => {
    await setToken(request, 'fake-losant', readFakeState().token);
  });

  test('add an input, save, reload and see it; read it in a cell; edit it', async ({
    page
  }) => {
    await createNotebook(page, 'io-forms.ipynb', ['print("inputs")']);
    let panel = await openPanel(page);
    await selectConnection(panel, 'fake-losant');
    await linkToNewRemote(panel, 'io-forms');
    await expect(inputs(panel)).toHaveCount(0);

    // A data table input, entered in its form.
    await panel.getByRole('button', { name: 'Edit settings' }).click();
    await panel
      .getByRole('combobox', { name: 'Add an input…' })
      .selectOption('dataTable');
    const form = inputs(panel).last();
    await form.getByLabel(/^File name/).fill('rows.csv');
    await form.getByLabel(/^Data table id/).fill('not-an-id');
    await expect(form).toContainText(
      'A 24-character hex id (or a {{template}})'
    );
    const save = panel.getByRole('button', { name: 'Save', exact: true });
    await expect(save).toBeDisabled();
    await form.getByLabel(/^Data table id/).fill('575ec8687ae143cd83dc4a97');
    await form.getByLabel(/^Query json/).fill('{"$eq": {"site": "north"}');
    await expect(form).toContainText('Not valid JSON.');
    await form.getByLabel(/^Query json/).fill('{"$eq": {"site": "north"}}');
    await panel
      .getByRole('combobox', { name: /^Image version/ })
      .selectOption('v2');
    await recordPanel(page, panel, 'io-forms-edit');
    // The open form has labels, names and contrast axe finds nothing serious in.
    const scan = await new AxeBuilder({ page })
      .include('.jp-NotebookRemote-remote')
      .analyze();
    expect(scan.passes.length).toBeGreaterThan(10);
    expect(
      scan.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
    ).toEqual([]);
    await expect(save).toBeEnabled();
    await save.click();
    await expect(
      panel.getByRole('button', { name: 'Edit settings' })
    ).toBeVisible();
    await expect(inputs(panel)).toHaveCount(1);
    await expect(inputs(panel).first()).toContainText('rows.csv');

    // What was saved is the remote's: it is there after a reload (the
    // notebook saved first, for its link).
    await page.notebook.save();
    panel = await reload(page);
    await expect(inputs(panel).first()).toContainText('rows.csv');
    await expect(inputs(panel).first()).toContainText('Data table');
    await expect(panel.locator('.jp-NotebookRemote-times')).toContainText('v2');

    // The cell that reads it, below the active cell of the notebook.
    await page.locator('.jp-Notebook .jp-Cell').first().click();
    await panel
      .getByRole('button', { name: 'Insert a cell that reads rows.csv' })
      .click();
    await expect(page.locator('.jp-Notebook .jp-Cell')).toHaveCount(2);
    const lines = page
      .locator('.jp-Notebook .jp-Cell')
      .nth(1)
      .locator('.cm-line');
    await expect(lines).toHaveText([
      'import os',
      'import pandas as pd',
      '',
      "rows_data = pd.read_csv(os.path.join(os.environ['INPUT_DIR'], 'rows.csv'))",
      'rows_data.head()'
    ]);

    // Edit the input: its file name, then save and reload.
    await panel.getByRole('button', { name: 'Edit settings' }).click();
    await inputs(panel)
      .first()
      .getByLabel(/^File name/)
      .fill('north-rows.csv');
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(inputs(panel).first()).toContainText('north-rows.csv');
    await page.notebook.save();
    panel = await reload(page);
    await expect(inputs(panel)).toHaveCount(1);
    await expect(inputs(panel).first()).toContainText('north-rows.csv');
  });
});
