import * as fs from 'fs';
import * as path from 'path';

import {
  CommandIDs,
  DEFAULT_SETTINGS,
  normalizeSettings,
  PLUGIN_ID
} from '../tokens';

const schema = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, '..', '..', 'schema', 'plugin.json'),
    'utf-8'
  )
);

describe('settings schema', () => {
  it('gives every setting a title, a description and the default the code uses', () => {
    const properties = schema.properties as { [key: string]: any };
    expect(Object.keys(properties).sort()).toEqual(
      Object.keys(DEFAULT_SETTINGS).sort()
    );
    for (const [key, value] of Object.entries(properties)) {
      expect(value.title).toBeTruthy();
      expect(value.description).toBeTruthy();
      expect(value.default).toEqual((DEFAULT_SETTINGS as any)[key]);
    }
  });

  it('declares no secret', () => {
    const names = Object.keys(schema.properties).join(' ').toLowerCase();
    expect(names).not.toMatch(/token|secret|password|key/);
  });

  it('declares the notebook toolbar buttons: push and run, then run with options', () => {
    const items = schema['jupyter.lab.toolbars'].Notebook;
    expect(items).toEqual([
      expect.objectContaining({
        name: 'notebook-remote-push-and-run',
        command: CommandIDs.pushAndRun,
        icon: expect.any(String),
        caption: 'Push and run on the remote notebook'
      }),
      expect.objectContaining({
        name: 'notebook-remote-run-with-options',
        command: CommandIDs.runWithOptions,
        icon: 'jupyter-notebook-remote:run-options'
      })
    ]);
    expect(items[1].rank).toBeGreaterThan(items[0].rank);
    expect(PLUGIN_ID).toBe('jupyter-notebook-remote:plugin');
  });

  it("puts Run with options… next to Run in the file browser's menu", () => {
    const menu = schema['jupyter.lab.menus'].context as {
      command?: string;
      rank: number;
    }[];
    const rank = (command: string) =>
      menu.find(item => item.command === command)!.rank;
    expect(rank(CommandIDs.browserRunWithOptions)).toBeGreaterThan(
      rank(CommandIDs.browserRun)
    );
    expect(rank(CommandIDs.browserRunWithOptions)).toBeLessThan(
      rank(CommandIDs.browserOpenRuns)
    );
  });
});

describe('normalizeSettings', () => {
  it('falls back to the defaults for missing or wrong values', () => {
    expect(normalizeSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(
      normalizeSettings({
        activeInterval: 'fast',
        confirmBeforeRun: 'yes',
        usageDays: NaN
      })
    ).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps intervals in range and the max at least the other intervals', () => {
    const settings = normalizeSettings({
      activeInterval: 10,
      idleInterval: 90000,
      maxInterval: 5000,
      usageDays: 1000
    });
    expect(settings.activeInterval).toBe(500);
    expect(settings.maxInterval).toBe(90000);
    expect(settings.usageDays).toBe(366);
  });
});
