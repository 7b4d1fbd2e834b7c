/** @jsx h */
import { HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';

import {
  cls,
  ErrorMessage,
  ISectionProps,
  PanelButton,
  Section,
  TextField
} from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

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
    <Section title={trans.__('Connection')} className={cls('connection')}>
      <div className={cls('row')}>
        <HTMLSelect
          className={cls('grow select')}
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
        <div className={cls('meta')}>
          <span className={cls('kind')}>{connection.kind}</span>
          {connection.baseUrl && (
            <span className={cls('muted ellipsis')} title={connection.baseUrl}>
              {connection.baseUrl}
            </span>
          )}
        </div>
      )}
      {connection && needsToken && (
        <form className={cls('token')} onSubmit={save} autoComplete="off">
          <div className={cls('row')}>
            <span
              className={cls(
                'tokenState ' +
                  (connection.authConfigured ? 'jp-mod-set' : 'jp-mod-unset')
              )}
            >
              {connection.authConfigured
                ? trans.__('Token set')
                : trans.__('No token')}
            </span>
          </div>
          <div className={cls('row')}>
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
