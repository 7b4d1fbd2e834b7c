/** @jsx h */
/** @jsxFrag Fragment */
import { editIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { formatTimestamp } from '../format';
import {
  cls,
  ErrorMessage,
  IconButton,
  ISectionProps,
  PanelButton,
  Section,
  TextField
} from './common';
import { DeleteRemote } from './DeleteRemote';
import { NotebookSettings } from './IOEditor';
import { openRunOptions } from './RunOptionsDialog';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/**
 * The remote notebook in brief; rename it; its settings, inputs and outputs
 * (`IOEditor.tsx`); request an input-data export.
 */
export function RemoteNotebookSection(
  props: ISectionProps
): JSX.Element | null {
  const { model, trans } = props;
  const remote = model.remoteNotebook;
  const [renaming, setRenaming] = React.useState(false);
  const [name, setName] = React.useState('');
  if (!model.link) {
    return null;
  }
  const whyRename = model.whyNot('rename');
  const whyExport = model.whyNot('inputExport');
  // What the remote counts of this notebook in its billing period (Losant).
  const stats = remote?.stats ?? null;
  const counted =
    stats &&
    [
      stats.minutesThisPeriod,
      stats.runsThisPeriod,
      stats.errorsThisPeriod
    ].some(n => typeof n === 'number');

  return (
    <Section title={trans.__('Remote notebook')} className={cls('remote')}>
      {!remote ? (
        !model.error('notebook') && (
          <p className={cls('muted')}>{trans.__('Loading…')}</p>
        )
      ) : renaming ? (
        <form
          className={cls('row')}
          onSubmit={async event => {
            event.preventDefault();
            if (await model.rename(name)) {
              setRenaming(false);
            }
          }}
          onKeyDown={event => {
            if (event.key === 'Escape') {
              event.stopPropagation();
              setRenaming(false);
            }
          }}
        >
          <TextField
            label={trans.__('Remote notebook name')}
            value={name}
            autoFocus
            onChange={setName}
          />
          <PanelButton
            type="submit"
            disabled={model.isBusy('rename') || name.trim() === ''}
          >
            {trans.__('Rename')}
          </PanelButton>
          <PanelButton type="button" minimal onClick={() => setRenaming(false)}>
            {trans.__('Close')}
          </PanelButton>
        </form>
      ) : (
        <div className={cls('row')}>
          <strong className={cls('grow ellipsis')}>{remote.name}</strong>
          <IconButton
            icon={editIcon}
            label={trans.__('Rename remote notebook')}
            title={whyRename ?? trans.__('Rename the remote notebook')}
            disabled={!!whyRename}
            onClick={() => {
              setName(remote.name);
              setRenaming(true);
            }}
          />
        </div>
      )}
      {remote && (
        <>
          {remote.description && (
            <p className={cls('description')}>{remote.description}</p>
          )}
          <dl className={cls('times')}>
            {remote.imageVersion && (
              <>
                <dt>{trans.__('Image')}</dt>
                <dd>{remote.imageVersion}</dd>
              </>
            )}
            {remote.fileName && (
              <>
                <dt>{trans.__('File')}</dt>
                <dd className={cls('ellipsis')}>{remote.fileName}</dd>
              </>
            )}
            {remote.updatedAt && (
              <>
                <dt>{trans.__('Updated')}</dt>
                <dd>{formatTimestamp(remote.updatedAt)}</dd>
              </>
            )}
            {counted && (
              <>
                <dt>{trans.__('This period')}</dt>
                <dd className={cls('periodStats')}>
                  {[
                    trans.__(
                      '%1 minutes',
                      Math.round((stats.minutesThisPeriod ?? 0) * 100) / 100
                    ),
                    trans._n('%1 run', '%1 runs', stats.runsThisPeriod ?? 0),
                    trans._n(
                      '%1 error',
                      '%1 errors',
                      stats.errorsThisPeriod ?? 0
                    )
                  ].join(', ')}
                </dd>
              </>
            )}
          </dl>
          <NotebookSettings model={model} trans={trans} />
          {whyExport && (
            <p className={cls('muted small')}>
              {trans.__('Input data export unavailable: %1', whyExport)}
            </p>
          )}
          {!whyExport && (
            <PanelButton
              minimal
              disabled={model.isBusy('export')}
              onClick={() => void openRunOptions(model, trans, undefined, true)}
            >
              {trans.__('Export input data…')}
            </PanelButton>
          )}
        </>
      )}
      <DeleteRemote model={model} trans={trans} />
      <ErrorMessage error={model.shownError('notebook')} trans={trans} />
    </Section>
  );
}
