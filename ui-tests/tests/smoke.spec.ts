import { expect, test } from '@jupyterlab/galata';

import { readFakeState } from './helpers';
const PLUGIN_ID = 'jupyter-notebook-remote:plugin';

test.describe('extension loads', () => {
  test('the frontend plugin is activated and its sidebar tab exists', async ({
    page
  }) => {
    await expect
      .poll(
        () =>
          page.evaluate(
            id => (window as any).jupyterapp.isPluginActivated(id),
            PLUGIN_ID
          ),
        { timeout: 30000 }
      )
      .toBe(true);
    await expect(
      page.locator('.lm-TabBar-tab[data-id="notebook-remote-panel"]')
    ).toBeVisible();
  });

  test('the server extension answers with the local and fake Losant connections', async ({
    request
  }) => {
    const response = await request.get('/notebook-remote/connections');
    expect(response.status()).toBe(200);
    const body = await response.json();
    const ids = body.connections.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['local', 'fake-losant']));
    const fake = body.connections.find(
      (c: { id: string }) => c.id === 'fake-losant'
    );
    expect(fake.kind).toBe('losant');
    // The token is configured but never sent to the browser.
    expect(fake.authConfigured).toBe(true);
    expect(JSON.stringify(body)).not.toContain(readFakeState().token);
  });
});
