/** @jsx h */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import React from 'react';

import { serviceName } from '../format';
import { cls, ISectionProps, PanelButton } from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

/**
 * Delete the linked remote notebook, in the kind's word (Civis archives
 * it), after a confirmation that names it. The local notebook keeps its
 * cells and outputs; only its link goes, since it would name what is gone.
 */
export function DeleteRemote(props: ISectionProps): JSX.Element | null {
  const { model, trans } = props;
  const remote = model.remoteNotebook;
  const connection = model.linkConnection;
  if (!remote || !connection || !model.can('delete')) {
    return null;
  }
  const archive = connection.kind === 'civis';
  const where = connection.label;
  const name = remote.name;
  const ask = async () => {
    const result = await showDialog({
      title: archive
        ? trans.__('Archive "%1"?', name)
        : trans.__('Delete "%1"?', name),
      body: archive
        ? trans.__(
            '"%1" is archived on %2; Civis can unarchive it. This notebook stays, unlinked.',
            name,
            where
          )
        : trans.__(
            '"%1" and its runs are deleted from %2. This notebook stays, unlinked.',
            name,
            where
          ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Keep it') }),
        Dialog.warnButton({
          label: archive ? trans.__('Archive') : trans.__('Delete')
        })
      ]
    });
    if (result.button.accept && (await model.deleteRemote())) {
      // Said in a toast: the panel's notice goes with the link.
      Notification.success(
        trans.__('"%1" removed; this notebook is unlinked.', name),
        { autoClose: 5000 }
      );
    }
  };
  return (
    <div className={cls('row')}>
      <PanelButton
        minimal
        className={cls('delete')}
        disabled={model.isBusy('delete')}
        onClick={() => void ask()}
      >
        {archive
          ? trans.__('Archive in %1…', serviceName(connection))
          : trans.__('Delete remote notebook…')}
      </PanelButton>
    </div>
  );
}
