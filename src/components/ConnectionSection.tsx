import { HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';

import {
  ErrorMessage,
  ISectionProps,
  PanelButton,
  Section,
  TextField
} from './common';

/** Pick a connection; set or forget its token (sent once, never shown). */
export function ConnectionSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  const [token, setToken] = React.useState('');
  const connection = model.connection;
  const busy = model.isBusy('token');
  const needsToken = model.needsToken(connection);

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    if (await model.setToken(token)) {
      setToken('');
    }
  };

  return (
    <Section
      title={trans.__('Connection')}
      className="jp-NotebookRemote-connection"
    >
      <div className="jp-NotebookRemote-row">
        <HTMLSelect
          className="jp-NotebookRemote-grow jp-NotebookRemote-select"
          aria-label={trans.__('Connection')}
          value={model.connectionId ?? ''}
          disabled={model.connections.length === 0}
          onChange={event => model.selectConnection(event.target.value)}
          options={
            model.connections.length === 0
              ? [{ value: '', label: trans.__('No connections') }]
              : model.connections.map(c => ({
                  value: c.id,
                  label:
                    c.label && c.label !== c.id ? `${c.label} (${c.id})` : c.id
                }))
          }
        />
      </div>
      {connection && (
        <div className="jp-NotebookRemote-meta">
          <span className="jp-NotebookRemote-kind">{connection.kind}</span>
          {connection.baseUrl && (
            <span
              className="jp-NotebookRemote-muted jp-NotebookRemote-ellipsis"
              title={connection.baseUrl}
            >
              {connection.baseUrl}
            </span>
          )}
        </div>
      )}
      {connection && needsToken && (
        <form
          className="jp-NotebookRemote-token"
          onSubmit={save}
          autoComplete="off"
        >
          <div className="jp-NotebookRemote-row">
            <span
              className={`jp-NotebookRemote-tokenState ${
                connection.authConfigured ? 'jp-mod-set' : 'jp-mod-unset'
              }`}
            >
              {connection.authConfigured
                ? trans.__('Token set')
                : trans.__('No token')}
            </span>
          </div>
          <div className="jp-NotebookRemote-row">
            <TextField
              type="password"
              label={trans.__('Token')}
              placeholder={
                connection.authConfigured
                  ? trans.__('New token')
                  : trans.__('Paste a token')
              }
              autoComplete="new-password"
              spellCheck={false}
              value={token}
              onChange={setToken}
            />
            <PanelButton type="submit" disabled={busy || token.trim() === ''}>
              {trans.__('Save token')}
            </PanelButton>
            {connection.authConfigured && (
              <PanelButton
                type="button"
                minimal
                disabled={busy}
                onClick={() => void model.forgetToken()}
              >
                {trans.__('Forget token')}
              </PanelButton>
            )}
          </div>
        </form>
      )}
      <ErrorMessage error={model.shownError('token')} trans={trans} />
    </Section>
  );
}
