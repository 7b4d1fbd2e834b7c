import { TranslationBundle } from '@jupyterlab/translation';
import { Button, editIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { formatTimestamp } from '../format';
import { RemoteModel } from '../model';
import { EMAIL_PATTERN } from '../models/remote';
import { ErrorMessage, Section } from './common';

/** The remote notebook in brief; rename it; request an input-data export. */
export function RemoteNotebookSection(props: {
  model: RemoteModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const remote = model.remoteNotebook;
  const [renaming, setRenaming] = React.useState(false);
  const [name, setName] = React.useState('');
  const [email, setEmail] = React.useState('');
  if (!model.link) {
    return null;
  }
  const whyRename = model.whyNot('rename');
  const whyExport = model.whyNot('inputExport');
  const emailInvalid = email.trim() !== '' && !EMAIL_PATTERN.test(email.trim());
  const ios = [
    ...(remote?.inputs ?? []).map(io => ({ ...io, direction: 'in' })),
    ...(remote?.outputs ?? []).map(io => ({ ...io, direction: 'out' }))
  ];

  return (
    <Section
      title={trans.__('Remote notebook')}
      className="jp-NotebookRemote-remote"
    >
      {!remote ? (
        !model.error('notebook') && (
          <p className="jp-NotebookRemote-muted">{trans.__('Loading…')}</p>
        )
      ) : renaming ? (
        <form
          className="jp-NotebookRemote-row"
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
          <input
            className="jp-mod-styled jp-NotebookRemote-grow"
            aria-label={trans.__('Remote notebook name')}
            value={name}
            autoFocus
            onChange={event => setName(event.target.value)}
          />
          <Button
            type="submit"
            small
            className="jp-NotebookRemote-button"
            disabled={model.isBusy('rename') || name.trim() === ''}
          >
            {trans.__('Rename')}
          </Button>
          <Button
            type="button"
            small
            minimal
            className="jp-NotebookRemote-button"
            onClick={() => setRenaming(false)}
          >
            {trans.__('Close')}
          </Button>
        </form>
      ) : (
        <div className="jp-NotebookRemote-row">
          <strong className="jp-NotebookRemote-grow jp-NotebookRemote-ellipsis">
            {remote.name}
          </strong>
          <Button
            small
            minimal
            className="jp-NotebookRemote-button"
            aria-label={trans.__('Rename remote notebook')}
            title={whyRename ?? trans.__('Rename the remote notebook')}
            disabled={!!whyRename}
            onClick={() => {
              setName(remote.name);
              setRenaming(true);
            }}
          >
            <editIcon.react
              tag="span"
              className="jp-NotebookRemote-buttonIcon"
            />
          </Button>
        </div>
      )}
      {remote && (
        <>
          {remote.description && (
            <p className="jp-NotebookRemote-description">
              {remote.description}
            </p>
          )}
          <dl className="jp-NotebookRemote-times">
            {remote.imageVersion && (
              <>
                <dt>{trans.__('Image')}</dt>
                <dd>{remote.imageVersion}</dd>
              </>
            )}
            {remote.fileName && (
              <>
                <dt>{trans.__('File')}</dt>
                <dd className="jp-NotebookRemote-ellipsis">
                  {remote.fileName}
                </dd>
              </>
            )}
            {remote.updatedAt && (
              <>
                <dt>{trans.__('Updated')}</dt>
                <dd>{formatTimestamp(remote.updatedAt)}</dd>
              </>
            )}
          </dl>
          {ios.length > 0 && (
            <ul className="jp-NotebookRemote-io">
              {ios.map((io, index) => (
                <li key={index} data-direction={io.direction}>
                  <span className="jp-NotebookRemote-ioKind">
                    {io.direction === 'in' ? trans.__('in') : trans.__('out')}
                  </span>
                  <span className="jp-NotebookRemote-ellipsis">
                    {io.fileName}
                  </span>
                  <span className="jp-NotebookRemote-muted">{io.type}</span>
                </li>
              ))}
            </ul>
          )}
          {whyExport && (
            <p className="jp-NotebookRemote-muted jp-NotebookRemote-small">
              {trans.__('Input data export unavailable: %1', whyExport)}
            </p>
          )}
          {!whyExport && (
            <details className="jp-NotebookRemote-export">
              <summary>{trans.__('Export input data')}</summary>
              <form
                className="jp-NotebookRemote-row"
                noValidate
                onSubmit={async event => {
                  event.preventDefault();
                  if (
                    !emailInvalid &&
                    (await model.requestInputExport(email))
                  ) {
                    setEmail('');
                  }
                }}
              >
                <input
                  className="jp-mod-styled jp-NotebookRemote-grow"
                  type="email"
                  aria-label={trans.__('Email for the export link')}
                  aria-invalid={emailInvalid}
                  placeholder="name@example.com"
                  value={email}
                  onChange={event => setEmail(event.target.value)}
                />
                <Button
                  type="submit"
                  small
                  className="jp-NotebookRemote-button"
                  disabled={emailInvalid || model.isBusy('export')}
                >
                  {trans.__('Request export')}
                </Button>
              </form>
              {emailInvalid && (
                <p className="jp-NotebookRemote-fieldError">
                  {trans.__('Enter an email address like name@example.com.')}
                </p>
              )}
            </details>
          )}
        </>
      )}
      <ErrorMessage error={model.shownError('notebook')} trans={trans} />
    </Section>
  );
}
