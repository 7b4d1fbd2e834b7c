/**
 * What to tell the user about an error, chosen by its `reason` (never by
 * matching the message text). The server's message is shown as it is; the
 * hint says what to do next.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { CLIENT_REASONS } from './api';

export function errorHint(
  reason: string,
  trans: TranslationBundle
): string | null {
  switch (reason) {
    case CLIENT_REASONS.extensionMissing:
      return trans.__(
        'Install jupyter-notebook-remote in the environment of the Jupyter server, check "jupyter server extension list", then restart the server.'
      );
    case CLIENT_REASONS.network:
      return trans.__('The panel will try again shortly.');
    case 'token_missing':
      return trans.__(
        'Set a token for this connection in the Connection section.'
      );
    case 'remote_auth':
      return trans.__(
        'The remote service refused the token. Save a valid token in the Connection section.'
      );
    case 'unknown_connection':
      return trans.__(
        'This notebook is linked to a connection the server does not know. Link it again, or add the connection to the server configuration.'
      );
    case 'notebook_not_found':
      return trans.__(
        'The linked remote notebook no longer exists. Unlink, then link this notebook again.'
      );
    case 'rate_limited':
      return trans.__('The remote service asks to slow down; wait a moment.');
    case 'remote_unreachable':
    case 'remote_timeout':
      return trans.__(
        'The remote service did not answer. Try again in a moment.'
      );
    case 'too_large':
      return trans.__(
        'Make the notebook smaller (clear large outputs), then push again.'
      );
    case 'not_pushed':
      return trans.__('Push the notebook first, or use Push and run.');
    case 'file_changed':
      return trans.__(
        'The notebook was saved again while it was being pushed; push again.'
      );
    case 'run_active':
      return trans.__(
        'Wait for the run to finish, or cancel it, then try again.'
      );
    case 'already_finished':
      return trans.__('The run has already ended; refresh to see how.');
    case 'disk_full':
      return trans.__(
        'The disk of the Jupyter server is full. Free some space (old runs live in the local data directory), then try again.'
      );
    case 'local_failure':
    case 'internal':
      return trans.__(
        'Something failed on the Jupyter server; its log says what.'
      );
    case 'conflict':
      return null;
    default:
      return null;
  }
}
