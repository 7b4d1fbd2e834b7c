/** @jsx h */
/** @jsxFrag Fragment */
import { TranslationBundle } from '@jupyterlab/translation';
import { listIcon, refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { RemoteModel } from '../model';
import { CommandIDs } from '../tokens';
import { ActionBar } from './ActionBar';
import { IPanelActions } from './actions';
import { ConnectionSection } from './ConnectionSection';
import { cls, ErrorMessage, IconButton } from './common';
import { LinkSection } from './LinkSection';
import { RemoteNotebookSection } from './RemoteNotebookSection';
import { RunDetails } from './RunDetails';
import { RunsList } from './RunsList';
import { ScheduleSection } from './ScheduleSection';
import { UsageSection } from './UsageChart';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/** The whole Remote Notebooks panel; renders the model, fetches nothing. */
export function RemotePanelView(props: {
  model: RemoteModel;
  actions: IPanelActions;
  trans: TranslationBundle;
  now?: number;
}): JSX.Element {
  const { model, actions, trans } = props;
  const now = props.now ?? Date.now();

  if (model.extensionMissing) {
    return (
      <div className={cls('body')}>
        <TitleBar actions={actions} trans={trans} />
        <ErrorMessage error={model.shownError('connections')} trans={trans} />
      </div>
    );
  }

  const selected = model.selectedExecution;
  return (
    <div className={cls('body')}>
      <TitleBar actions={actions} trans={trans} />
      <ErrorMessage error={model.shownError('connections')} trans={trans} />
      {model.connectionsLoaded ? (
        <>
          <ConnectionSection model={model} trans={trans} />
          <LinkSection model={model} actions={actions} trans={trans} />
          <ActionBar model={model} actions={actions} trans={trans} now={now} />
          <RunsList
            model={model}
            trans={trans}
            now={now}
            details={
              selected && (
                <RunDetails
                  model={model}
                  execution={selected}
                  actions={actions}
                  trans={trans}
                  now={now}
                />
              )
            }
          />
          <ScheduleSection
            model={model}
            actions={actions}
            trans={trans}
            now={now}
          />
          <UsageSection model={model} trans={trans} />
          <RemoteNotebookSection model={model} trans={trans} />
        </>
      ) : (
        <p className={cls('muted')}>{trans.__('Loading…')}</p>
      )}
    </div>
  );
}

/** The panel's title, with the refresh action for the impatient. */
function TitleBar(props: {
  actions: IPanelActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { actions, trans } = props;
  return (
    <div className={cls('titleBar')}>
      <h2 className={cls('title')}>{trans.__('Remote Notebooks')}</h2>
      <IconButton
        icon={listIcon}
        className={cls('openRuns')}
        label={trans.__('Open Remote runs')}
        title={trans.__('Every run of the notebooks linked in this workspace')}
        onClick={() => actions.execute(CommandIDs.openRuns)}
      />
      <IconButton
        icon={refreshIcon}
        className={cls('refresh')}
        label={trans.__('Refresh')}
        title={trans.__('Check connections, runs and usage now')}
        disabled={!actions.isEnabled(CommandIDs.refresh)}
        onClick={() => actions.execute(CommandIDs.refresh)}
      />
    </div>
  );
}
