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
  const tryAgain = trans.__(
    'The remote service did not answer. Try again in a moment.'
  );
  const serverLog = trans.__(
    'Something failed on the Jupyter server; its log says what.'
  );
  const hints: { [reason: string]: string } = {
    [CLIENT_REASONS.extensionMissing]: trans.__(
      'Install jupyter-notebook-remote where the Jupyter server runs (see "jupyter server extension list"), then restart it.'
    ),
    [CLIENT_REASONS.network]: trans.__('The panel will try again shortly.'),
    token_missing: trans.__(
      'Set a token for this connection in the Connection section.'
    ),
    remote_auth: trans.__(
      'The remote service refused the token. Save a valid token in the Connection section.'
    ),
    unknown_connection: trans.__(
      'The server has no such connection: link the notebook again, or configure the connection on the server.'
    ),
    notebook_not_found: trans.__(
      'The linked remote notebook no longer exists. Unlink, then link this notebook again.'
    ),
    rate_limited: trans.__(
      'The remote service asks to slow down; wait a moment.'
    ),
    remote_unreachable: tryAgain,
    remote_timeout: tryAgain,
    too_large: trans.__(
      'Make the notebook smaller (clear large outputs), then push again.'
    ),
    not_pushed: trans.__('Push the notebook first, or use Push and run.'),
    file_changed: trans.__(
      'The notebook was saved again while it was being pushed; push again.'
    ),
    run_active: trans.__(
      'Wait for the run to finish, or cancel it, then try again.'
    ),
    already_finished: trans.__(
      'The run has already ended; refresh to see how.'
    ),
    disk_full: trans.__(
      "The Jupyter server's disk is full: free some space (old runs are in the local data directory), then try again."
    ),
    local_failure: serverLog,
    internal: serverLog
  };
  return Object.prototype.hasOwnProperty.call(hints, reason)
    ? hints[reason]
    : null;
}
