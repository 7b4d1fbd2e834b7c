/**
 * A JupyterLab notification when a run started from this session finishes.
 */
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { statusVerb } from './format';
import { RemoteModel } from './model';
import { IRunFinished } from './tokens';

/** The message and type of the notification for a finished run. */
export function finishedMessage(
  event: IRunFinished,
  trans: TranslationBundle
): { message: string; type: Notification.TypeOptions } {
  const status = event.execution.status;
  const message = trans.__(
    'Run of %1 %2',
    event.notebookName,
    statusVerb(status, trans)
  );
  const type: Notification.TypeOptions =
    status === 'completed'
      ? 'success'
      : status === 'canceled'
        ? 'info'
        : 'error';
  const errors = event.execution.errors ?? [];
  return {
    message: errors.length
      ? `${message}: ${errors[0].name}: ${errors[0].message}`
      : message,
    type
  };
}

/**
 * Emit a notification for each finished run started here, and for each
 * watched run that ended errored or timed out (unless the setting is off).
 */
export function connectNotifications(
  model: RemoteModel,
  trans: TranslationBundle,
  showDetails: (event: IRunFinished) => void,
  showFailed: (event: IRunFinished) => void
): void {
  model.runFailed.connect((_, event) => {
    if (!model.settings.notifyOnFinish) {
      return;
    }
    const { message } = finishedMessage(event, trans);
    Notification.emit(message, 'error', {
      autoClose: false,
      actions: [
        {
          label: trans.__('Show details'),
          caption: trans.__('Show this run in the Remote runs view'),
          callback: () => showFailed(event)
        }
      ]
    });
  });
  model.runFinished.connect((_, event) => {
    if (!model.settings.notifyOnFinish) {
      return;
    }
    const { message, type } = finishedMessage(event, trans);
    Notification.emit(message, type, {
      autoClose: type === 'success' ? 8000 : false,
      actions: [
        {
          label: trans.__('Show details'),
          caption: trans.__('Show this run in the Remote Notebooks panel'),
          callback: () => showDetails(event)
        }
      ]
    });
  });
}
