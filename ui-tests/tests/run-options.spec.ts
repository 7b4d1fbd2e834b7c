/**
 * Run with options… on `local`: from the notebook toolbar, a context checked
 * as it is typed and a query time; the run reads the context from
 * INPUT_DIR/context.json (its log shows it), its details show what it ran
 * with, the notebook keeps the options, and Run again (the panel) and the
 * file browser's menu open the dialog with them.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  createNotebook,
  linkToNewRemote,
  openPanel,
  recordElement,
  recordPanel,
  runs
} from './helpers';

const DAY = 86400000;

test.describe('run with options on the local connection', () => {
  test('a context and a query time, seen by the run and in its details, then run again', async ({
    page,
    request,
    tmpPath
  }) => {
    await createNotebook(page, 'sites.ipynb', [
      'import os\nprint("context:", open(os.path.join(os.environ["INPUT_DIR"], "context.json")).read())'
    ]);
    const panel = await openPanel(page);
    await linkToNewRemote(panel, 'sites');

    // The notebook toolbar's button beside Push and run.
    await page
      .locator(
        '.jp-NotebookPanel-toolbar [data-jp-item-name="notebook-remote-run-with-options"]'
      )
      .click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Run sites with options');
    // local reports no run's end by email or callback: not offered.
    await expect(dialog.getByLabel('Email (optional)')).toHaveCount(0);
    // Never pushed (and the link changed the notebook): push first.
    await expect(
      dialog.getByRole('checkbox', { name: 'Push the notebook first' })
    ).toBeChecked();

    const run = dialog.getByRole('button', { name: 'Run', exact: true });
    const context = dialog.getByLabel('Run context (optional JSON)');
    await context.fill('{"site": ');
    await expect(context).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByRole('alert')).toContainText('Not JSON');
    await expect(run).toBeDisabled();
    await context.fill('["north"]');
    await expect(dialog.getByRole('alert')).toContainText(
      'must be a JSON object'
    );
    await context.fill('{"site": "north"}');
    await expect(context).toHaveAttribute('aria-invalid', 'false');
    await dialog
      .getByLabel('Query time', { exact: true })
      .selectOption({ label: '1 day ago' });
    await expect(run).toBeEnabled();
    await recordElement(
      dialog.locator('.jp-Dialog-content'),
      'run-options-dialog-light'
    );
    await run.click();
    await expect(dialog).toHaveCount(0);

    const row = runs(panel).first();
    await expect(row).toHaveAttribute('data-status', 'completed', {
      timeout: 60000
    });
    // Its details: the context it was given and its query time.
    const details = panel.locator('.jp-NotebookRemote-runDetails');
    await expect(details.locator('.jp-NotebookRemote-context')).toHaveText(
      JSON.stringify({ site: 'north' }, null, 2)
    );
    await expect(
      details.getByText('Query time', { exact: true })
    ).toBeVisible();
    await expect(details.getByText('Run limit', { exact: true })).toBeVisible();
    await recordPanel(page, panel, 'run-options-panel-light');
    // The run read it from INPUT_DIR/context.json.
    await details.getByRole('button', { name: 'Show log' }).click();
    await expect(
      details.locator('.jp-NotebookRemote-logText').last()
    ).toContainText('context: {"site":"north"}');

    // The push saved the notebook with its options, for the next run.
    const saved = await request.get(`/api/contents/${tmpPath}/sites.ipynb`);
    expect((await saved.json()).content.metadata.notebook_remote).toEqual({
      connection: 'local',
      notebookId: expect.stringMatching(/^[0-9a-f]{24}$/),
      updatedAt: expect.any(String),
      lastRunOptions: { ago: DAY, templateContext: { site: 'north' } }
    });

    // Run again opens the dialog with what that run ran with.
    await details
      .getByRole('button', { name: 'Run again with these options…' })
      .click();
    await expectFilled(page);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);

    // So does the file browser's entry, next to Run on Remote.
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openDirectory(tmpPath);
    await page
      .locator('.jp-DirListing-item[title^="Name: sites.ipynb"]')
      .click({ button: 'right' });
    const entries = page.locator('.lm-Menu-item .lm-Menu-itemLabel');
    const labels = await entries.allTextContents();
    expect(labels.indexOf('Run on Remote with Options…')).toBe(
      labels.indexOf('Run on Remote') + 1
    );
    await page
      .locator('.lm-Menu-item', { hasText: 'Run on Remote with Options…' })
      .click();
    await expectFilled(page);
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(runs(panel)).toHaveCount(2);
    await expect(runs(panel).first()).toHaveAttribute(
      'data-status',
      'completed',
      { timeout: 60000 }
    );

    // The Remote runs view shows what a run ran with too.
    await page.evaluate(() =>
      (window as any).jupyterapp.commands.execute('notebook-remote:open-runs')
    );
    const view = page.locator('#notebook-remote-runs');
    const viewRow = view.locator('tbody tr[data-run-key]').first();
    await expect(viewRow).toHaveAttribute('data-status', 'completed');
    await viewRow.getByRole('button', { name: 'sites', exact: true }).click();
    const pane = view.getByRole('region', { name: 'Run details' });
    await expect(pane.locator('.jp-NotebookRemote-context')).toHaveText(
      JSON.stringify({ site: 'north' }, null, 2)
    );
    await expect(pane.getByText('Query time', { exact: true })).toBeVisible();
  });
});

/** The dialog is open with the options of the first run. */
async function expectFilled(page: IJupyterLabPageFixture): Promise<void> {
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Run sites with options');
  await expect(dialog.getByLabel('Query time', { exact: true })).toHaveValue(
    String(DAY)
  );
  await expect(dialog.getByLabel('Run context (optional JSON)')).toHaveValue(
    JSON.stringify({ site: 'north' }, null, 2)
  );
}
