/**
 * Schedules on `local`: create a weekly schedule in the Schedule… dialog,
 * see it in words with its next runs, pause it and remove it.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  createNotebook,
  linkToNewRemote,
  openPanel,
  recordElement,
  recordPanel
} from './helpers';

test.describe('schedules on the local connection', () => {
  test('create a weekly schedule, see its next runs, pause and remove it', async ({
    page,
    request,
    tmpPath
  }) => {
    await createNotebook(page, 'weekly.ipynb', ['print("scheduled")']);
    const panel = await openPanel(page);
    await linkToNewRemote(panel, 'weekly');

    const section = panel.locator('.jp-NotebookRemote-scheduleSection');
    await expect(section).toContainText('No schedule.');
    // A schedule runs what was pushed: push first.
    await panel.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(panel.locator('.jp-NotebookRemote-pushFolder')).toBeVisible();

    await section.getByRole('button', { name: 'Schedule…' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Schedule weekly');
    const repeat = dialog.getByLabel('Repeat', { exact: true });
    const cron = dialog.getByLabel('Cron', { exact: true });
    // A new schedule starts weekly, on Monday, in the browser's zone.
    await expect(repeat).toHaveValue('weekly');

    // A cron typed that no preset describes is custom; one that is a
    // preset picks it.
    await cron.fill('0 6 1 1 *');
    await expect(repeat).toHaveValue('custom');
    await cron.fill('0 6 * * 1');
    await expect(repeat).toHaveValue('weekly');

    // Monday and Wednesday at 06:50, Europe/Berlin, until 13 Dec 2027.
    await dialog.getByRole('checkbox', { name: 'Wed' }).check();
    await dialog.getByLabel('At', { exact: true }).fill('06:50');
    await expect(cron).toHaveValue('50 6 * * 1,3');
    await dialog
      .getByLabel('Time zone', { exact: true })
      .selectOption('Europe/Berlin');
    await dialog.getByLabel('Until (optional)').fill('2027-12-13');

    // The run context is checked as it is typed.
    const context = dialog.getByLabel('Run context (optional JSON)');
    const save = dialog.getByRole('button', { name: 'Create schedule' });
    await context.fill('{"region": ');
    await expect(context).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByRole('alert')).toContainText('Not JSON');
    await expect(save).toBeDisabled();
    await context.fill('{"region": "north"}');
    await expect(context).toHaveAttribute('aria-invalid', 'false');
    await expect(save).toBeEnabled();
    await expect(
      dialog.locator('.jp-NotebookRemote-scheduleSummary')
    ).toContainText('Every Monday and Wednesday at 06:50, Europe/Berlin');
    await recordElement(
      dialog.locator('.jp-Dialog-content'),
      'schedule-dialog-light'
    );
    await save.click();
    await expect(dialog).toHaveCount(0);

    // The panel says it in words, with the next runs.
    const words = section.locator('.jp-NotebookRemote-scheduleWords');
    await expect(words).toHaveText(
      /^Every Monday and Wednesday at 06:50, Europe\/Berlin, until .*2027$/
    );
    await expect(
      section.locator('.jp-NotebookRemote-scheduleState')
    ).toHaveText('Active');
    const next = section.locator('.jp-NotebookRemote-scheduleNext li');
    await expect(next).toHaveCount(5);
    await expect(next.first()).toContainText(/(Mon|Wed).*06:50/);
    await recordPanel(page, panel, 'schedule-panel-light');

    // The server has it as the dialog said.
    const file = await request.get(`/api/contents/${tmpPath}/weekly.ipynb`);
    const link = (await file.json()).content.metadata;
    const { connection, notebookId } = link.notebook_remote;
    const saved = await request.get(
      `/notebook-remote/connections/${connection}/notebooks/${notebookId}/schedule`
    );
    expect((await saved.json()).schedule).toMatchObject({
      cron: '50 6 * * 1,3',
      timezone: 'Europe/Berlin',
      active: true,
      templateContext: { region: 'north' }
    });

    // Pause: no next runs; resume is offered.
    await section.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(
      section.locator('.jp-NotebookRemote-scheduleState')
    ).toHaveText('Paused');
    await expect(section).toContainText('None while paused.');
    await expect(
      section.getByRole('button', { name: 'Resume', exact: true })
    ).toBeVisible();

    // Remove, after confirming.
    await section
      .getByRole('button', { name: 'Remove schedule', exact: true })
      .click();
    const confirm = page.locator('.jp-Dialog');
    await expect(confirm).toContainText('Remove this schedule?');
    await confirm.getByRole('button', { name: 'Remove schedule' }).click();
    await expect(section).toContainText('No schedule.');
    const gone = await request.get(
      `/notebook-remote/connections/${connection}/notebooks/${notebookId}/schedule`
    );
    expect((await gone.json()).schedule).toBeNull();
  });
});
