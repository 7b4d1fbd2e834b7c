import { expect, test } from '@jupyterlab/galata';

import { PLUGIN_ID, readFakeState, setToken, TAB_SELECTOR } from './helpers';

test.describe('extension loads', () => {
  test('the frontend plugin is activated and its sidebar tab exists', async ({
    page
  }) => {
    await expect
      .poll(() =>
        page.evaluate(
          id => (window as any).jupyterapp.isPluginActivated(id),
          PLUGIN_ID
        )
      )
      .toBe(true);
    await expect(page.locator(TAB_SELECTOR)).toBeVisible();
  });

  test('the server lists local (default) and fake Losant, never echoing a token', async ({
    request
  }) => {
    const fake = readFakeState();
    await setToken(request, 'fake-losant', fake.token);
    const response = await request.get('/notebook-remote/connections');
    expect(response.status()).toBe(200);
    const body = await response.json();
    expect(body.default).toBe('local');
    const ids = body.connections.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['local', 'fake-losant']));
    const losant = body.connections.find(
      (c: { id: string }) => c.id === 'fake-losant'
    );
    expect(losant).toMatchObject({
      kind: 'losant',
      baseUrl: fake.url,
      applicationId: fake.applicationId,
      authConfigured: true
    });
    expect(JSON.stringify(body)).not.toContain(fake.token);
  });
});
