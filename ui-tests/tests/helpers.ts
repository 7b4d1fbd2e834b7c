/**
 * Shared helpers of the UI specs.
 */
import * as fs from 'fs';
import * as path from 'path';

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
