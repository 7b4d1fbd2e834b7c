/**
 * When the remote service fails, the panel says so in the server's words
 * (never a bare "500"), and recovers by itself once the remote is back.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  clearFaults,
  createNotebook,
  injectFault,
  linkToNewRemote,
  openPanel,
  readFakeState,
  recordPanel,
  runs,
  selectConnection,
  setToken
} from './helpers';

test.describe('remote failures', () => {
  test.beforeEach(async ({ request }) => {
    await clearFaults(request);
    await setToken(request, 'fake-losant', readFakeState().token);
  });

  test.afterEach(async ({ request }) => {
    await clearFaults(request);
  });

  test('a failing or token-refusing remote shows a clear alert, then recovers', async ({
    page,
    request
  }) => {
    await createNotebook(page, 'flaky-remote.ipynb', ['print(1)']);
    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-losant');
    await linkToNewRemote(panel, 'flaky-remote');

    // The remote answers 500 to the upload: the push fails with its words.
    await injectFault(request, {
      route: 'notebook.upload',
      status: 500,
      message: 'Notebook storage is down for maintenance',
      times: null
    });
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    const pushAlert = panel.locator(
      '[role="alert"].jp-NotebookRemote-error[data-reason="remote_error"]'
    );
    await expect(pushAlert).toBeVisible();
    await expect(pushAlert).toContainText(
      'Notebook storage is down for maintenance'
    );
    await expect(pushAlert).toContainText('failed (500)');
    await expect(panel.getByText('Pushed flaky-remote.ipynb.')).toHaveCount(0);
    await recordPanel(page, panel, 'error-remote-500');

    // The remote refuses the token (401) for everything: the alert says the
    // token was refused and what to do.
    await clearFaults(request);
    await injectFault(request, { route: '*', status: 401, times: null });
    await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
    const authAlert = panel
      .locator(
        '[role="alert"].jp-NotebookRemote-error[data-reason="remote_auth"]'
      )
      .first();
    await expect(authAlert).toBeVisible();
    await expect(authAlert).toContainText(
      "refused the token of connection 'fake-losant'"
    );
    await expect(authAlert).toContainText('Save a valid token');
    // No credential leaks into the page while it explains the failure.
    expect(await page.content()).not.toContain(readFakeState().token);
    await recordPanel(page, panel, 'error-remote-401');

    // The remote is back: refreshing clears the alerts, and a push and a run
    // go through.
    await clearFaults(request);
    await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
    await expect(panel.locator('[data-reason="remote_auth"]')).toHaveCount(0);
    await panel
      .getByRole('button', { name: 'Push and run', exact: true })
      .click();
    await expect(runs(panel).first()).toHaveAttribute(
      'data-status',
      'completed'
    );
    await expect(panel.getByRole('alert')).toHaveCount(0);
  });
});
