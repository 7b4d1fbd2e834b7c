/**
 * The README quick start: with no remote service configured, the `local`
 * connection runs the notebook on this machine. Link, press the notebook
 * toolbar's "Push and run", watch it complete, open result.html.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  createNotebook,
  linkToNewRemote,
  openPanel,
  recordPanel,
  runs
} from './helpers';

test.describe('the local connection (quick start)', () => {
  test('push and run from the notebook toolbar, then open result.html', async ({
    page,
    request,
    tmpPath
  }) => {
    await createNotebook(page, 'quickstart.ipynb', [
      'answer = 6 * 7',
      'print(f"the answer is {answer}")'
    ]);
    const panel = await openPanel(page);
    // local is the default connection and needs no token.
    await expect(panel.locator('select[aria-label="Connection"]')).toHaveValue(
      'local'
    );
    await expect(panel.locator('input[aria-label="Token"]')).toHaveCount(0);

    await linkToNewRemote(panel, 'quickstart');
    await expect(panel.locator('.jp-NotebookRemote-link')).toContainText(
      'on local'
    );

    // The toolbar button of the notebook pushes and runs.
    const toolbarItem = page.locator(
      '.jp-NotebookPanel-toolbar [data-jp-item-name="notebook-remote-push-and-run"]'
    );
    await expect(toolbarItem).toBeVisible();
    await toolbarItem.click();

    const run = runs(panel).first();
    await expect(runs(panel)).toHaveCount(1);
    // Pushing saved the notebook, and the link travels in its metadata.
    const saved = await request.get(
      `/api/contents/${tmpPath}/quickstart.ipynb`
    );
    expect(saved.status()).toBe(200);
    const link = (await saved.json()).content.metadata.notebook_remote;
    // With what the remote held after the push: the next push is checked
    // against it.
    expect(link).toEqual({
      connection: 'local',
      notebookId: expect.stringMatching(/^[0-9a-f]{24}$/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/)
    });
    // A real kernel starts in a child process: allow it the time it takes on
    // a busy machine.
    await expect(run).toHaveAttribute('data-status', 'completed', {
      timeout: 60000
    });
    await expect(run.locator('.jp-NotebookRemote-statusBadge')).toHaveText(
      'Completed'
    );
    await expect(
      page
        .locator('.Toastify__toast')
        .filter({ hasText: 'Run of quickstart completed' })
    ).toBeVisible();

    const details = panel.locator('.jp-NotebookRemote-runDetails');
    await expect(details).toBeVisible();
    const result = details.getByRole('link', {
      name: 'result.html',
      exact: true
    });
    await expect(result).toBeVisible();
    for (const name of ['result.ipynb', 'result.log']) {
      await expect(
        details.getByRole('link', { name, exact: true })
      ).toBeVisible();
    }
    // Usage counts the run, with its real (short) duration, never "0 minutes".
    const usage = panel.locator('.jp-NotebookRemote-usage');
    await expect(usage.locator('li[data-status="completed"]')).toHaveText(
      '1 completed'
    );
    await expect(usage.locator('.jp-NotebookRemote-usageTotal')).toHaveText(
      /^(\d+ seconds?|\d+(\.\d)? minutes?)$/
    );
    await expect(usage.locator('.jp-NotebookRemote-usageTotal')).not.toHaveText(
      '0 minutes'
    );
    await recordPanel(page, panel, 'local-panel-light');

    // Clicking result.html opens the executed notebook as HTML in a new tab.
    const [tab] = await Promise.all([
      page.context().waitForEvent('page'),
      result.click()
    ]);
    await tab.waitForLoadState();
    await expect(tab.locator('body')).toContainText('the answer is 42');
    await tab.close();

    // And the link itself answers 200 with HTML.
    const response = await request.get(
      (await result.getAttribute('href')) as string
    );
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('text/html');
    expect(await response.text()).toContain('the answer is 42');
  });

  test('a notebook off the nbformat schema is pushed with a warning, and runs', async ({
    page,
    request,
    tmpPath
  }) => {
    // JupyterLab opens it and keeps its notebook metadata as it is.
    const content = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        authors: 'Ada',
        kernelspec: {
          name: 'python3',
          display_name: 'Python 3 (ipykernel)',
          language: 'python'
        }
      },
      cells: [
        {
          cell_type: 'code',
          id: 'only',
          metadata: {},
          execution_count: null,
          outputs: [],
          source: 'print("ran anyway")'
        }
      ]
    };
    const put = await request.put(`/api/contents/${tmpPath}/lenient.ipynb`, {
      data: { type: 'notebook', format: 'json', content }
    });
    expect(put.status()).toBe(201);
    await page.notebook.openByPath(`${tmpPath}/lenient.ipynb`);
    const panel = await openPanel(page);
    await linkToNewRemote(panel, 'lenient');
    await panel.getByRole('button', { name: 'Push', exact: true }).click();

    const warnings = panel.locator('.jp-NotebookRemote-pushWarnings');
    await expect(warnings).toContainText(
      'Pushed as saved, with 1 warning about the notebook format.'
    );
    await warnings.getByText('Details', { exact: true }).click();
    await expect(warnings.locator('li')).toHaveText(
      "metadata.authors 'Ada' is not of type 'array'"
    );

    // Push and run, not Run: the kernel JupyterLab started for the notebook
    // may add its language_info to the metadata after the push above, and Run
    // would then rightly ask whether to push that change first.
    await panel
      .getByRole('button', { name: 'Push and run', exact: true })
      .click();
    await expect(runs(panel).first()).toHaveAttribute(
      'data-status',
      'completed',
      { timeout: 60000 }
    );
  });

  test('cancel a long local run with the command: it ends canceled', async ({
    page
  }) => {
    await createNotebook(page, 'sleepy.ipynb', [
      'import time\nprint("started", flush=True)\ntime.sleep(600)'
    ]);
    const panel = await openPanel(page);
    await linkToNewRemote(panel, 'sleepy');
    await page.evaluate(() =>
      (window as any).jupyterapp.commands.execute(
        'notebook-remote:push-and-run'
      )
    );
    const run = runs(panel).first();
    await expect(run).toHaveAttribute('data-status', 'inProgress', {
      timeout: 60000
    });

    // The command waits for the confirmation: start it, do not await it.
    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute(
        'notebook-remote:cancel'
      );
    });
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Cancel this run?');
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await expect(run).toHaveAttribute('data-status', 'canceled');
    await expect(run.locator('.jp-NotebookRemote-statusBadge')).toHaveText(
      'Canceled'
    );
    await expect(
      panel.getByRole('button', { name: 'Cancel', exact: true })
    ).toBeDisabled();
  });
});
