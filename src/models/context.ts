/**
 * What every part of the model shares: the REST client, the words, the
 * clock, the settings, and where errors and actions in flight are shown.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { RemoteNotebookApi } from '../api';
import { IRemoteSettings } from '../tokens';
import { INotebookLink } from '../types';
import { Action, Activity } from './activity';
import { ErrorBoard } from './errors';

export interface IModelContext {
  readonly api: RemoteNotebookApi;
  readonly trans: TranslationBundle;
  /** The clock (tests pass their own). */
  readonly now: () => number;
  /** The current settings (they change while the model lives). */
  readonly settings: IRemoteSettings;
  readonly errors: ErrorBoard;
  readonly activity: Activity;
}

/**
 * Read an output file of a run of the linked notebook and `use` its text,
 * as `action` (busy meanwhile), a failure shown in the run's details.
 * Resolves whether it worked.
 */
export function withRunFile(
  context: IModelContext,
  link: INotebookLink,
  action: Action,
  file: { executionId: string; name: string },
  use: (text: string) => unknown
): Promise<boolean> {
  return context.activity.run(action, 'details', async () => {
    const text = await context.api.fetchExecutionFile(
      link.connection,
      link.notebookId,
      file.executionId,
      file.name
    );
    await use(text);
  });
}
