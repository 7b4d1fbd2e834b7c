/**
 * The Losant story against the loopback fake: link a notebook to a new
 * remote notebook, push, run to completion (watched live), open the run's
 * details, cancel a slow run, read the usage chart.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  createNotebook,
  linkToNewRemote,
  openPanel,
  readFakeState,
  recordPanel,
  runs,
  selectConnection,
  setToken
} from './helpers';

test.describe('Remote Notebooks on (fake) Losant', () => {
  test.beforeEach(async ({ request }) => {
    await setToken(request, 'fake-losant', readFakeState().token);
  });

  test('link, push, run to completion, cancel a slow run, see usage', async ({
    page,
    request
  }) => {
    await createNotebook(page, 'losant-story.ipynb', [
      'print("hello from the fake")'
    ]);
    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-losant');
    await expect(panel.getByText('Token set', { exact: true })).toBeVisible();

    await linkToNewRemote(panel, 'losant-story');
    await expect(panel.locator('.jp-NotebookRemote-remoteName')).toHaveText(
      'losant-story'
    );
    await expect(panel.getByText('No runs yet. Push, then Run.')).toBeVisible();

    // Push, then Run what was pushed.
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(panel.getByText('Pushed losant-story.ipynb.')).toBeVisible();
    // A notebook JupyterLab made follows nbformat's schema: no warnings.
    await expect(panel.locator('.jp-NotebookRemote-pushWarnings')).toHaveCount(
      0
    );
    await panel.getByRole('button', { name: 'Run', exact: true }).click();

    // The run shows up and reaches "completed" while we watch (no reload).
    const first = runs(panel).first();
    await expect(runs(panel)).toHaveCount(1);
    await expect(first).toHaveAttribute('data-status', 'completed');
    await expect(first.locator('.jp-NotebookRemote-statusBadge')).toHaveText(
      'Completed'
    );

    // The run just started is selected, with its details open.
    const firstId = (await first.getAttribute('data-execution-id')) as string;
    const details = panel.locator('.jp-NotebookRemote-runDetails');
    await expect(first).toHaveAttribute('aria-expanded', 'true');
    await expect(details).toHaveAttribute('data-execution-id', firstId);
    // The details list the execution results, result.html among them.
    const result = details.getByRole('link', {
      name: 'result.html',
      exact: true
    });
    await expect(result).toBeVisible();
    const html = await request.get(
      (await result.getAttribute('href')) as string
    );
    expect(html.status()).toBe(200);
    expect(html.headers()['content-type']).toContain('text/html');

    // A slow run, canceled from the panel after confirming.
    await page.notebook.addCell('code', '# FAKE_LOSANT_SLOW\nprint("slow")');
    await page.notebook.save();
    await panel
      .getByRole('button', { name: 'Push and run', exact: true })
      .click();
    await expect(runs(panel)).toHaveCount(2);
    const slow = runs(panel).first();
    await expect(slow).toHaveAttribute('data-status', /^(queued|inProgress)$/);
    await panel.getByRole('button', { name: 'Cancel', exact: true }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Cancel this run?');
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(slow).toHaveAttribute('data-status', 'canceled');
    await expect(slow.locator('.jp-NotebookRemote-statusBadge')).toHaveText(
      'Canceled'
    );
    // The first run is untouched; clicking it shows its details again.
    const completed = panel.locator(
      `.jp-NotebookRemote-run[data-execution-id="${firstId}"]`
    );
    await expect(completed).toHaveAttribute('data-status', 'completed');
    await completed.click();
    await expect(completed).toHaveAttribute('aria-expanded', 'true');
    await expect(slow).toHaveAttribute('aria-expanded', 'false');
    await expect(details).toHaveAttribute('data-execution-id', firstId);
    await expect(
      details.getByRole('link', { name: 'result.html', exact: true })
    ).toBeVisible();

    // Usage: a bar chart with the total minutes and the outcomes.
    await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
    const usage = panel.locator('.jp-NotebookRemote-usage');
    await expect(usage.locator('svg[role="img"]')).toBeVisible();
    await expect(usage.locator('svg[role="img"]')).toHaveAttribute(
      'aria-label',
      /in all/
    );
    // Losant bills whole minutes: 1 for the completed run, and 1 more if
    // the slow run had started before it was canceled.
    await expect(usage.locator('.jp-NotebookRemote-usageTotal')).toHaveText(
      /^(1 minute|2 minutes)$/
    );
    await expect(usage.locator('li[data-status="completed"]')).toHaveText(
      '1 completed'
    );
    await expect(usage.locator('li[data-status="canceled"]')).toHaveText(
      '1 canceled'
    );

    await expect(panel.getByRole('alert')).toHaveCount(0);
    await recordPanel(page, panel, 'losant-panel-light');
    await page.theme.setDarkTheme();
    await recordPanel(page, panel, 'losant-panel-dark');
  });

  test('link an existing remote notebook found by search; an errored run shows why; unlink', async ({
    page,
    request
  }) => {
    // A remote notebook that already exists on the service.
    const name = `existing-${Date.now().toString(36)}`;
    const created = await request.post(
      '/notebook-remote/connections/fake-losant/notebooks',
      { data: { name } }
    );
    expect(created.status()).toBe(201);
    const remoteId = (await created.json()).id as string;

    await createNotebook(page, 'will-fail.ipynb', [
      '# FAKE_LOSANT_ERROR\nraise RuntimeError("boom")'
    ]);
    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-losant');
    await panel.getByRole('button', { name: 'Link', exact: true }).click();
    await panel
      .getByLabel('Search remote notebooks', { exact: true })
      .fill(name);
    const found = panel.locator('.jp-NotebookRemote-chooserItem');
    await expect(found).toHaveCount(1);
    await expect(found).toHaveAttribute('data-notebook-id', remoteId);
    await expect(found).toContainText(name);
    await found.click();
    await expect(panel.locator('.jp-NotebookRemote-remoteName')).toHaveText(
      name
    );

    await panel
      .getByRole('button', { name: 'Push and run', exact: true })
      .click();
    const run = runs(panel).first();
    await expect(run).toHaveAttribute('data-status', 'errored');
    await expect(run.locator('.jp-NotebookRemote-statusBadge')).toHaveText(
      'Errored'
    );
    const details = panel.locator('.jp-NotebookRemote-runDetails');
    await expect(details.locator('.jp-NotebookRemote-runErrors')).toContainText(
      'RuntimeError'
    );
    await expect(
      details.getByRole('link', { name: 'result.error.log', exact: true })
    ).toBeVisible();
    await expect(
      page.locator('.Toastify__toast').filter({ hasText: `Run of ${name}` })
    ).toContainText('RuntimeError');

    // Unlink: the notebook is no longer tied to the remote one.
    await panel.getByRole('button', { name: 'Unlink', exact: true }).click();
    await expect(
      panel.getByText('Not linked to a remote notebook.')
    ).toBeVisible();
    await expect(
      panel.getByRole('button', { name: 'Link', exact: true })
    ).toBeEnabled();
    await expect(runs(panel)).toHaveCount(0);
  });

  test('Run after an edit offers to push first, and the remote gets the edited notebook', async ({
    page
  }) => {
    const fake = readFakeState();
    await createNotebook(page, 'edited.ipynb', ['print("first version")']);
    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-losant');
    await linkToNewRemote(panel, 'edited');
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(panel.getByText('Pushed edited.ipynb.')).toBeVisible();

    await page.notebook.setCell(0, 'code', 'print("second version")');
    await page.notebook.save();
    await expect(
      panel.getByText(
        'The local notebook changed since the last push; Run uses the pushed version.'
      )
    ).toBeVisible();

    await panel.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(
      'The notebook changed since the last push'
    );
    await dialog.getByRole('button', { name: 'Push and run' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(runs(panel).first()).toHaveAttribute(
      'data-status',
      'completed'
    );

    // What the fake Losant received is the edited notebook.
    const notebookId = (await page.evaluate(() => {
      const app = (window as any).jupyterapp;
      const widget = app.shell.currentWidget;
      return widget.context.model.getMetadata('notebook_remote').notebookId;
    })) as string;
    const uploaded = await page.request.get(
      `${fake.url}/__fake__/notebook-files/${notebookId}`
    );
    expect(uploaded.status()).toBe(200);
    const text = await uploaded.text();
    expect(text).toContain('second version');
    expect(text).not.toContain('first version');
  });
});
