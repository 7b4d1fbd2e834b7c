import { nullTranslator } from '@jupyterlab/translation';

import { errorHint } from '../messages';

const trans = nullTranslator.load('jupyter-notebook-remote');

describe('errorHint', () => {
  // Every reason the server answers with that the user can act on gets a
  // next step; the wording is chosen by reason, never by message text.
  it.each([
    ['token_missing', 'Connection section'],
    ['remote_auth', 'valid token'],
    ['unknown_connection', 'link the notebook again'],
    ['notebook_not_found', 'Unlink'],
    ['rate_limited', 'wait'],
    ['remote_unreachable', 'Try again'],
    ['remote_timeout', 'Try again'],
    ['too_large', 'clear large outputs'],
    ['not_pushed', 'Push and run'],
    ['file_changed', 'push again'],
    ['run_active', 'cancel it'],
    ['already_finished', 'refresh'],
    ['disk_full', 'free some space'],
    ['local_failure', 'log'],
    ['internal', 'log']
  ])('tells what to do after %s', (reason, words) => {
    expect(errorHint(reason, trans)).toContain(words);
  });

  it('adds nothing when the message says it all', () => {
    expect(errorHint('invalid_input', trans)).toBeNull();
    expect(errorHint('a_reason_from_a_newer_server', trans)).toBeNull();
  });
});
