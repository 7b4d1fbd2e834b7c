/**
 * Shared helpers of the UI specs: where the fake Losant listens, how to open
 * the Remote Notebooks panel, make a notebook and link it.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const PLUGIN_ID = 'jupyter-notebook-remote:plugin';
export const PANEL_ID = 'notebook-remote-panel';
export const TAB_SELECTOR = `.lm-TabBar-tab[data-id="${PANEL_ID}"]`;
export const PANEL_SELECTOR = `#${PANEL_ID}`;
export const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

/** What jupyter_server_test_config.py wrote about the fake Losant. */
export interface IFakeState {
  url: string;
  applicationId: string;
  token: string;
  stateDir: string;
}

export function readFakeState(): IFakeState {
  const file =
    process.env.NOTEBOOK_REMOTE_UI_STATE ||
    path.resolve(__dirname, '..', 'test-state', 'fake-losant.json');
  return JSON.parse(fs.readFileSync(file, 'utf-8'));
}

/** Open the Remote Notebooks sidebar and return the panel. */
export async function openPanel(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  const panel = page.locator(PANEL_SELECTOR);
  if (!(await panel.isVisible())) {
    await page.locator(TAB_SELECTOR).click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/** Pick a connection in the panel's connection selector. */
export async function selectConnection(
  panel: Locator,
  connection: string
): Promise<void> {
  const select = panel.locator('select[aria-label="Connection"]');
  await select.selectOption(connection);
  await expect(select).toHaveValue(connection);
}

/**
 * Create a notebook in the test's folder with one code cell per source,
 * save it, and leave it open and active.
 */
export async function createNotebook(
  page: IJupyterLabPageFixture,
  name: string,
  sources: string[]
): Promise<void> {
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', sources[0]);
  for (const source of sources.slice(1)) {
    await page.notebook.addCell('code', source);
  }
  await page.notebook.save();
}

/**
 * Link the active notebook to a new remote notebook, created from the
 * panel with the default name (the file name without .ipynb).
 */
export async function linkToNewRemote(
  panel: Locator,
  expectedName: string
): Promise<void> {
  await panel.getByRole('button', { name: 'Link', exact: true }).click();
  const nameInput = panel.getByLabel('New notebook name', { exact: true });
  await expect(nameInput).toHaveValue(expectedName);
  await panel.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(
    panel.getByRole('button', { name: 'Unlink', exact: true })
  ).toBeVisible();
}

/** The run rows of the panel, newest first. */
export function runs(panel: Locator): Locator {
  return panel.locator('.jp-NotebookRemote-run[data-execution-id]');
}

/** Set (or, with null, forget) a connection's token through the REST API. */
export async function setToken(
  request: APIRequestContext,
  connection: string,
  token: string | null
): Promise<void> {
  const url = `/notebook-remote/connections/${connection}/token`;
  const response =
    token === null
      ? await request.delete(url)
      : await request.put(url, { data: { token } });
  expect(response.status()).toBe(204);
}

/** A fault for the fake Losant (see FakeLosant.fail_next). */
export interface IFault {
  /** A Losant action name such as `notebook.upload`, or `*` for any. */
  route?: string;
  status?: number;
  message?: string;
  /** How many requests it applies to; null keeps it until cleared. */
  times?: number | null;
}

/** Make the fake Losant fail, through its loopback control route. */
export async function injectFault(
  request: APIRequestContext,
  fault: IFault
): Promise<void> {
  const response = await request.post(
    `${readFakeState().url}/__fake__/faults`,
    { data: fault }
  );
  expect(response.status()).toBe(201);
}

/** Remove every pending fault of the fake Losant. */
export async function clearFaults(request: APIRequestContext): Promise<void> {
  const response = await request.delete(
    `${readFakeState().url}/__fake__/faults`
  );
  expect(response.status()).toBe(200);
}

/**
 * Screenshot the panel as the visual record (never compared pixel by pixel).
 * It is attached to the test's report; with UPDATE_SCREENSHOTS=1 (`jlpm
 * screenshots`) it also replaces the committed copy in screenshots/.
 */
export async function recordPanel(
  page: IJupyterLabPageFixture,
  panel: Locator,
  name: string
): Promise<void> {
  await page.sidebar.setWidth(360, 'left');
  const image = await panel.screenshot();
  await test.info().attach(name, { body: image, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, `${name}.png`), image);
  }
}

/** Screenshot any part of the page (a dialog) as the visual record. */
export async function recordElement(
  element: Locator,
  name: string
): Promise<void> {
  const image = await element.screenshot();
  await test.info().attach(name, { body: image, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, `${name}.png`), image);
  }
}
