/**
 * A push that never silently replaces a remote notebook changed elsewhere:
 * over one (409 `remote_changed`), the user chooses to overwrite it, to open
 * the remote's copy, or not to push. Every way of pushing asks through here
 * (the commands, and Run with options… with "Push the notebook first",
 * which asks once its own dialog has closed).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemoteModel } from './model';

/** Push; over a remote that changed since the link saw it, ask first. */
export async function pushChecked(
  model: RemoteModel,
  trans: TranslationBundle
): Promise<boolean> {
  if (await model.push()) {
    return true;
  }
  return model.pushRefusedAsChanged && askOverChanged(model, trans);
}

/**
 * The push was refused because the remote changed (the server's `message`):
 * ask, and push over it, open the remote's copy, or leave it. Resolves whether it was pushed. No
 * other dialog may be open (JupyterLab shows dialogs one after the other).
 */
export async function askOverChanged(
  model: RemoteModel,
  trans: TranslationBundle,
  message = model.error('actions')?.message ?? ''
): Promise<boolean> {
  const canPull = model.can('pull');
  const choice = await showDialog({
    title: trans.__('The remote notebook changed'),
    body: message,
    buttons: [
      Dialog.cancelButton({ label: trans.__("Don't push") }),
      ...(canPull
        ? [
            Dialog.okButton({
              label: trans.__('Open remote copy'),
              displayType: 'default',
              actions: ['open']
            })
          ]
        : []),
      Dialog.warnButton({ label: trans.__('Overwrite it') })
    ]
  });
  if (!choice.button.accept) {
    return false;
  }
  if (choice.button.actions.includes('open')) {
    await model.openRemoteCopy();
    return false;
  }
  return model.push(true);
}
