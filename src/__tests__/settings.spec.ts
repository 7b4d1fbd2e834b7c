import * as fs from 'fs';
import * as path from 'path';

import { DEFAULT_SETTINGS, normalizeSettings, PLUGIN_ID } from '../tokens';

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

  it('declares the push-and-run notebook toolbar button', () => {
    const items = schema['jupyter.lab.toolbars'].Notebook;
    expect(items).toEqual([
      expect.objectContaining({
        name: 'notebook-remote-push-and-run',
        command: 'notebook-remote:push-and-run',
        icon: expect.any(String),
        caption: 'Push and run on the remote notebook'
      })
    ]);
    expect(PLUGIN_ID).toBe('jupyter-notebook-remote:plugin');
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
