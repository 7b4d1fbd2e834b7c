/** @jsx h */
/** @jsxFrag Fragment */
import { linkIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { baseName } from '../notebook';
import { CommandIDs } from '../tokens';
import { FolderMode } from '../types';
import { IPanelActions } from './actions';
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
const { createElement: h, Fragment } = React;

/** The active notebook and its link to a remote notebook. */
export function LinkSection(
  props: ISectionProps & { actions: IPanelActions }
): JSX.Element {
  const { model, actions, trans } = props;
  const notebook = model.notebook;
  const link = model.link;
  const remote = model.remoteNotebook;

  let body: React.ReactNode;
  if (!notebook) {
    body = (
      <p className={cls('muted')}>
        {trans.__('Open a notebook to push and run it remotely.')}
      </p>
    );
  } else if (link) {
    const unknown = !model.linkConnection && model.connectionsLoaded;
    body = (
      <>
        <div className={cls('row')}>
          <linkIcon.react tag="span" className={cls('inlineIcon')} />
          <span className={cls('grow linkText')}>
            <span className={cls('muted')}>{trans.__('Linked to')} </span>
            <strong className={cls('remoteName')} title={link.notebookId}>
              {remote?.name ?? link.notebookId}
            </strong>
            <span className={cls('muted')}>
              {' '}
              {trans.__('on %1', link.connection)}
            </span>
          </span>
          <PanelButton
            minimal
            onClick={() => actions.execute(CommandIDs.unlink)}
          >
            {trans.__('Unlink')}
          </PanelButton>
        </div>
        {model.can('pull') && (
          <div className={cls('row pull')}>
            {[
              [CommandIDs.openRemoteCopy, trans.__('Open remote copy')],
              [CommandIDs.replaceWithRemote, trans.__('Replace with it…')]
            ].map(([command, label]) => (
              <PanelButton
                key={command}
                minimal
                disabled={!actions.isEnabled(command)}
                onClick={() => actions.execute(command)}
              >
                {label}
              </PanelButton>
            ))}
          </div>
        )}
        {!model.can('pull') && model.whyNot('pull') && (
          <p className={cls('muted small')}>
            {trans.__(
              'Open remote copy unavailable: %1',
              model.whyNot('pull')!
            )}
          </p>
        )}
        {model.linkConnection?.carriesFolder && (
          <label className={cls('row folderOption')}>
            <span className={cls('muted')}>{trans.__('Files beside it')}</span>
            <select
              className={cls('grow')}
              value={link.folder ?? 'files'}
              title={trans.__(
                "The files of the notebook's folder a push carries; runs start among them, as in JupyterLab."
              )}
              onChange={event =>
                model.setFolder(event.target.value as FolderMode)
              }
            >
              <option value="files">{trans.__("This folder's files")}</option>
              <option value="tree">{trans.__('With subfolders')}</option>
              <option value="none">{trans.__('None')}</option>
            </select>
          </label>
        )}
        {unknown && (
          <ErrorMessage
            error={{
              reason: 'unknown_connection',
              message: trans.__(
                'The server has no connection "%1".',
                link.connection
              )
            }}
            trans={trans}
          />
        )}
      </>
    );
  } else {
    const why = model.whyNot('list', model.connection);
    body = (
      <>
        <div className={cls('row')}>
          <span className={cls('grow muted')}>
            {trans.__('Not linked to a remote notebook.')}
          </span>
          {!model.chooser.state && (
            <PanelButton
              disabled={!actions.isEnabled(CommandIDs.link)}
              title={why ?? trans.__('Link this notebook to a remote notebook')}
              onClick={() => actions.execute(CommandIDs.link)}
            >
              {trans.__('Link')}
            </PanelButton>
          )}
        </div>
        {model.chooser.state && <LinkChooser model={model} trans={trans} />}
      </>
    );
  }

  return (
    <Section title={trans.__('Notebook')} className={cls('link')}>
      {notebook && (
        <div className={cls('fileName ellipsis')} title={notebook.path}>
          {baseName(notebook.path)}
          {notebook.dirty && (
            <span className={cls('muted')}>
              {' '}
              {trans.__('(unsaved changes)')}
            </span>
          )}
        </div>
      )}
      {body}
      <ErrorMessage error={model.shownError('link')} trans={trans} />
    </Section>
  );
}

/** Choose an existing remote notebook, or create one, to link. */
function LinkChooser(props: ISectionProps): JSX.Element | null {
  const { model, trans } = props;
  const chooser = model.chooser.state;
  const [name, setName] = React.useState(model.defaultRemoteName);
  const searchRef = React.useRef<HTMLInputElement>(null);
  React.useEffect(() => {
    searchRef.current?.focus();
  }, []);
  if (!chooser) {
    return null;
  }
  const canList = model.can('list', model.connection);
  const canCreate = model.can('create', model.connection);
  const canPull = model.can('pull', model.connection);
  const connectionId = model.connection?.id ?? '';
  const busy = model.isBusy('link');

  return (
    <div
      className={cls('chooser')}
      onKeyDown={event => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          model.chooser.close();
        }
      }}
    >
      {canList ? (
        <>
          <input
            ref={searchRef}
            className={cls('jp-mod-styled search')}
            type="search"
            aria-label={trans.__('Search remote notebooks')}
            placeholder={trans.__('Search remote notebooks')}
            value={chooser.filter}
            onChange={event => model.chooser.setFilter(event.target.value)}
          />
          <ul
            className={cls('chooserList')}
            aria-label={trans.__('Remote notebooks')}
            aria-busy={chooser.loading}
          >
            {chooser.items.map(item => (
              <li key={item.id}>
                <button
                  type="button"
                  className={cls('chooserItem')}
                  title={item.description || item.name}
                  data-notebook-id={item.id}
                  onClick={() => model.chooser.linkTo(item)}
                >
                  <span className={cls('ellipsis')}>{item.name}</span>
                  {item.updatedAt && (
                    <span className={cls('muted')}>
                      {new Date(item.updatedAt).toLocaleDateString()}
                    </span>
                  )}
                </button>
                {canPull && item.fileName && (
                  <PanelButton
                    minimal
                    title={trans.__(
                      'Open a copy of "%1" as a new notebook linked to it',
                      item.name
                    )}
                    disabled={model.isBusy('pull')}
                    onClick={() =>
                      model.openRemoteCopy(
                        { connection: connectionId, notebookId: item.id },
                        item.name
                      )
                    }
                  >
                    {trans.__('Open copy')}
                  </PanelButton>
                )}
              </li>
            ))}
            {!chooser.loading && chooser.items.length === 0 && (
              <li className={cls('muted empty')}>
                {chooser.filter
                  ? trans.__('No remote notebook matches.')
                  : trans.__('No remote notebooks yet.')}
              </li>
            )}
            {chooser.loading && (
              <li className={cls('muted empty')}>{trans.__('Loading…')}</li>
            )}
          </ul>
          {chooser.totalCount > 0 && (
            <p className={cls('muted chooserCount')}>
              {chooser.totalCount > chooser.items.length
                ? trans.__(
                    'Showing %1 of %2; refine the search to see others.',
                    chooser.items.length,
                    chooser.totalCount
                  )
                : trans._n(
                    '%1 remote notebook',
                    '%1 remote notebooks',
                    chooser.totalCount
                  )}
            </p>
          )}
        </>
      ) : (
        <p className={cls('muted')}>{model.whyNot('list', model.connection)}</p>
      )}
      <form
        className={cls('row')}
        onSubmit={event => {
          event.preventDefault();
          void model.chooser.createAndLink(name);
        }}
      >
        <TextField
          type="text"
          label={trans.__('New notebook name')}
          placeholder={trans.__('New notebook name')}
          value={name}
          disabled={!canCreate}
          onChange={setName}
        />
        <PanelButton
          type="submit"
          disabled={!canCreate || busy || name.trim() === ''}
          title={
            model.whyNot('create', model.connection) ??
            trans.__('Create a remote notebook with this name and link it')
          }
        >
          {trans.__('Create')}
        </PanelButton>
        <PanelButton
          type="button"
          minimal
          onClick={() => model.chooser.close()}
        >
          {trans.__('Close')}
        </PanelButton>
      </form>
    </div>
  );
}
