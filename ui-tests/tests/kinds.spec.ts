/**
 * Civis and 4pointx the way their users work, against their loopback fakes:
 * a Civis deployment is a live notebook server (Open in Civis; asleep after
 * its idle timeout, still stoppable; archived from the panel), and a 4pointx
 * Run has no history, only a count, which the panel shows without asking
 * for runs.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  createNotebook,
  linkToNewRemote,
  openPanel,
  recordPanel,
  runs,
  selectConnection
} from './helpers';

test.describe('Remote Notebooks on (fake) Civis and 4pointx', () => {
  test('Civis: Open in Civis at the deployment URL; asleep, then stopped; archived', async ({
    page,
    context
  }) => {
    // The fake's display URLs name hosts that do not exist: answer them here.
    await context.route('https://*.notebooks.civis.test/**', route =>
      route.fulfill({
        contentType: 'text/html',
        body: '<title>Civis notebook</title>'
      })
    );
    await createNotebook(page, 'civis-story.ipynb', ['print("hello civis")']);
    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-civis');
    await linkToNewRemote(panel, 'civis-story');
    await panel
      .getByRole('button', { name: 'Push and run', exact: true })
      .click();

    // The run just started is selected; once its server is up, it opens.
    const run = runs(panel).first();
    await expect(run).toHaveAttribute('data-status', 'inProgress');
    const id = (await run.getAttribute('data-execution-id')) as string;
    const details = panel.locator('.jp-NotebookRemote-runDetails');
    const [tab] = await Promise.all([
      page.waitForEvent('popup'),
      details
        .getByRole('button', { name: 'Open in Civis', exact: true })
        .click()
    ]);
    await tab.waitForURL(
      new RegExp(
        `^https://deployment-${id}\\.notebooks\\.civis\\.test/civis-platform-auth\\?token=`
      )
    );
    await tab.close();
    // The signed URL went to the tab only.
    expect(await page.content()).not.toContain('civis-platform-auth');

    // Asleep after its idle timeout: its own state, still stoppable.
    const badge = run.locator('.jp-NotebookRemote-statusBadge');
    await expect(badge).toHaveText('Sleeping');
    await expect(run).toHaveAttribute('data-status', 'inProgress');
    await expect(details).toContainText(
      'Notebook server is asleep after being idle'
    );
    await expect(details).toContainText(/Memory\s*[\d,.\s]+ MB asked for/);
    await recordPanel(page, panel, 'civis-sleeping');
    const cancel = panel.getByRole('button', { name: 'Cancel', exact: true });
    await expect(cancel).toBeEnabled();
    await cancel.click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await expect(run).toHaveAttribute('data-status', 'canceled');
    // Stopped: what it used at most, against what it asked for.
    await expect(details).toContainText(/peak [\d,.\s]+ of [\d,.\s]+ MB/);
    await expect(
      details.getByRole('button', { name: 'Open in Civis' })
    ).toHaveCount(0);

    // Archived (Civis's delete), after a confirmation naming it; unlinked.
    await panel
      .getByRole('button', { name: 'Archive in Civis…', exact: true })
      .click();
    await expect(dialog).toContainText('Archive "civis-story"?');
    await dialog.getByRole('button', { name: 'Archive', exact: true }).click();
    await expect(
      panel.getByRole('button', { name: 'Link', exact: true })
    ).toBeVisible();
    await expect(
      page.locator('.Toastify__toast').filter({
        hasText: '"civis-story" removed; this notebook is unlinked.'
      })
    ).toBeVisible();
    // Nothing local is lost.
    expect(await page.notebook.getCellTextInput(0)).toBe(
      'print("hello civis")'
    );
    await expect(panel.getByRole('alert')).toHaveCount(0);
  });

  test('4pointx: a Run shows its run count, and no run history is asked for', async ({
    page,
    request
  }) => {
    const historyCalls: string[] = [];
    page.on('request', r => {
      if (
        r.method() === 'GET' &&
        /\/notebook-remote\/connections\/fake-4pointx\/notebooks\/[^/]+\/executions/.test(
          r.url()
        )
      ) {
        historyCalls.push(r.url());
      }
    });
    // A notebook already on the site, so the chooser has one to count.
    const existing = await request.post(
      '/notebook-remote/connections/fake-4pointx/notebooks',
      { data: { name: `existing-${Date.now().toString(36)}` } }
    );
    expect(existing.status()).toBe(201);

    await createNotebook(page, 'fpx-story.ipynb', ['print(4)']);
    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-4pointx');
    await panel.getByRole('button', { name: 'Link', exact: true }).click();
    await expect(panel.locator('.jp-NotebookRemote-chooserCount')).toHaveText(
      /^\d+ remote notebooks?$/
    );
    await panel.getByRole('button', { name: 'Close', exact: true }).click();
    await linkToNewRemote(panel, 'fpx-story');

    const tally = panel.locator('.jp-NotebookRemote-runTally');
    await expect(tally).toHaveText('Ran 0 times');
    await panel.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(tally).toHaveText(/^Ran 1 time \(last .+\)$/);
    // Refresh reads the notebook again, and still asks for no runs.
    const reread = page.waitForResponse(
      r =>
        r.request().method() === 'GET' &&
        /\/fake-4pointx\/notebooks\/[0-9a-f-]{36}$/.test(
          new URL(r.url()).pathname
        )
    );
    await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
    await reread;
    await expect(tally).toHaveText(/^Ran 1 time/);
    expect(historyCalls).toEqual([]);
    await expect(panel.getByRole('alert')).toHaveCount(0);
    await recordPanel(page, panel, 'fourpointx-panel');
  });
});
