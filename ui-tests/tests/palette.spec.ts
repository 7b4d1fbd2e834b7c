/**
 * The command palette offers the extension's commands under "Remote
 * Notebooks"; a token set from the panel reaches the server and never
 * comes back to the page.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  openPanel,
  PANEL_SELECTOR,
  readFakeState,
  recordPanel,
  selectConnection,
  setToken
} from './helpers';

const COMMANDS = [
  'notebook-remote:push',
  'notebook-remote:run',
  'notebook-remote:run-with-options',
  'notebook-remote:push-and-run',
  'notebook-remote:cancel',
  'notebook-remote:link',
  'notebook-remote:open-panel',
  'notebook-remote:schedule'
];

test.describe('palette', () => {
  test('the commands are in the palette under Remote Notebooks; open-panel opens the panel', async ({
    page
  }) => {
    await expect(page.locator(PANEL_SELECTOR)).toBeHidden();

    const palette = page.locator('#modal-command-palette');
    const search = palette.locator('.lm-CommandPalette-input');
    const openPanelItem = palette.locator(
      '.lm-CommandPalette-item[data-command="notebook-remote:open-panel"]'
    );
    // The modal palette closes when it loses focus, which the start-up of
    // JupyterLab (the launcher opening) can cause: open it until it stays.
    await expect(page.locator('.jp-Launcher')).toBeVisible();
    await expect(async () => {
      if (!(await search.isVisible())) {
        await page.keyboard.press('Control+Shift+C');
      }
      await search.fill('Remote');
      await expect(openPanelItem).toBeVisible({ timeout: 2000 });
    }).toPass({ timeout: 30000 });

    // Each command is listed once, in a group headed "Remote Notebooks" (the
    // modal palette hides the headers, but they are in the list).
    const categories = await palette.evaluate((node, ids) => {
      const found: Record<string, string[]> = {};
      let header = '';
      for (const li of Array.from(
        node.querySelectorAll(
          '.lm-CommandPalette-header, .lm-CommandPalette-item'
        )
      )) {
        if (li.classList.contains('lm-CommandPalette-header')) {
          header = (li.textContent ?? '').trim();
        } else {
          const id = li.getAttribute('data-command') ?? '';
          if (ids.includes(id)) {
            (found[id] = found[id] ?? []).push(header);
          }
        }
      }
      return found;
    }, COMMANDS);
    expect(categories).toEqual(
      Object.fromEntries(COMMANDS.map(id => [id, ['Remote Notebooks']]))
    );
    await openPanelItem.click();
    await expect(page.locator(PANEL_SELECTOR)).toBeVisible();
  });
});

test.describe('token from the panel', () => {
  // Before the page (and the panel) load, so the panel starts with no token.
  test.beforeEach(async ({ request }) => {
    await setToken(request, 'fake-losant', null);
  });

  test('set and forget the fake Losant token; the token never shows in the page', async ({
    page,
    request
  }) => {
    const { token } = readFakeState();

    const panel = await openPanel(page);
    await selectConnection(panel, 'fake-losant');
    await expect(panel.getByText('No token', { exact: true })).toBeVisible();
    await expect(
      panel.getByRole('button', { name: 'Forget token', exact: true })
    ).toHaveCount(0);

    const input = panel.locator('input[aria-label="Token"]');
    await expect(input).toHaveAttribute('type', 'password');
    await input.fill(token);
    await panel
      .getByRole('button', { name: 'Save token', exact: true })
      .click();

    await expect(panel.getByText('Token set', { exact: true })).toBeVisible();
    await expect(input).toHaveValue('');
    expect(await page.content()).not.toContain(token);
    const connections = await request.get('/notebook-remote/connections');
    const body = await connections.text();
    expect(body).not.toContain(token);
    expect(
      JSON.parse(body).connections.find(
        (c: { id: string }) => c.id === 'fake-losant'
      ).authConfigured
    ).toBe(true);
    await recordPanel(page, panel, 'token-set');

    // The saved token is the one the server now uses with the remote: the
    // remote notebook list loads without a token error.
    await page.notebook.createNew('token-check.ipynb');
    await panel.getByRole('button', { name: 'Link', exact: true }).click();
    await expect(
      panel.getByLabel('Search remote notebooks', { exact: true })
    ).toBeVisible();
    await expect(
      panel.locator('ul[aria-label="Remote notebooks"]')
    ).toHaveAttribute('aria-busy', 'false');
    await expect(panel.getByRole('alert')).toHaveCount(0);
    expect(await page.content()).not.toContain(token);

    await panel
      .getByRole('button', { name: 'Forget token', exact: true })
      .click();
    await expect(panel.getByText('No token', { exact: true })).toBeVisible();
    const after = await request.get('/notebook-remote/connections');
    expect(
      (await after.json()).connections.find(
        (c: { id: string }) => c.id === 'fake-losant'
      ).authConfigured
    ).toBe(false);
  });
});
