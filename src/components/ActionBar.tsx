/** @jsx h */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  fileUploadIcon,
  LabIcon,
  runIcon,
  stopIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import { formatDuration, formatSize } from '../format';
import { pushAndRunIcon, runOptionsIcon } from '../icons';
import { CommandIDs } from '../tokens';
import { Capability, IPushWarning } from '../types';
import { IPanelActions } from './actions';
import {
  ButtonIcon,
  cls,
  ErrorMessage,
  ISectionProps,
  PanelButton
} from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

interface IActionSpec {
  command: string;
  label: string;
  icon: LabIcon;
  title: string;
  needs: Capability[];
  accent?: boolean;
  /** Shown as its icon only (its label names it for screen readers). */
  iconOnly?: boolean;
}

/** Push, Run, Push and run, Cancel and Refresh, with why one is missing. */
export function ActionBar(
  props: ISectionProps & { actions: IPanelActions; now: number }
): JSX.Element | null {
  const { model, actions, trans, now } = props;
  if (!model.notebook || !model.link) {
    return null;
  }
  const withOptions = trans.__('Run with options…');
  const specs: IActionSpec[] = [
    {
      command: CommandIDs.push,
      label: trans.__('Push'),
      icon: fileUploadIcon,
      title: trans.__('Save the notebook and push it to the remote notebook'),
      needs: ['push']
    },
    {
      command: CommandIDs.run,
      label: trans.__('Run'),
      icon: runIcon,
      title: trans.__('Run what was last pushed'),
      needs: ['execute']
    },
    {
      command: CommandIDs.runWithOptions,
      label: withOptions,
      icon: runOptionsIcon,
      title: withOptions,
      needs: ['execute'],
      iconOnly: true
    },
    {
      command: CommandIDs.pushAndRun,
      label: trans.__('Push and run'),
      icon: pushAndRunIcon,
      title: trans.__('Push and run on the remote notebook'),
      needs: ['push', 'execute'],
      accent: true
    },
    {
      command: CommandIDs.cancel,
      label: trans.__('Cancel'),
      icon: stopIcon,
      title: trans.__('Cancel the selected or running run'),
      needs: ['cancel']
    }
  ];
  const missing = new Map<Capability, string>();
  for (const spec of specs) {
    for (const capability of spec.needs) {
      const why = model.whyNot(capability);
      if (why) {
        missing.set(capability, why);
      }
    }
  }
  const progress = model.pushProgress;

  return (
    <div className={cls('actions')}>
      <div
        className={cls('toolbar')}
        role="toolbar"
        aria-label={trans.__('Remote notebook actions')}
      >
        {specs.map(spec => {
          const why = spec.needs
            .map(capability => missing.get(capability))
            .find(Boolean);
          const enabled = actions.isEnabled(spec.command);
          return (
            <PanelButton
              key={spec.command}
              className={cls('action') + (spec.accent ? ' jp-mod-accept' : '')}
              label={spec.label}
              title={why ? `${spec.label}: ${why}` : spec.title}
              disabled={!enabled}
              onClick={() => actions.execute(spec.command)}
            >
              <ButtonIcon icon={spec.icon} />
              {!spec.iconOnly && <span>{spec.label}</span>}
            </PanelButton>
          );
        })}
      </div>
      {missing.size > 0 && (
        <ul className={cls('unsupported')}>
          {[...missing.entries()].map(([capability, why]) => (
            <li key={capability}>
              <strong>{capabilityLabel(capability, trans)}</strong>{' '}
              {trans.__('unavailable: %1', why)}
            </li>
          ))}
        </ul>
      )}
      {progress && (
        <div className={cls('progress')} role="status">
          <progress aria-label={trans.__('Push progress')} />
          <span>
            {progress.stage === 'saving'
              ? trans.__('Saving…')
              : progress.size
                ? trans.__('Pushing %1…', formatSize(progress.size))
                : trans.__('Pushing…')}
            {now - progress.startedAt >= 2000 &&
              ` ${formatDuration(now - progress.startedAt)}`}
          </span>
        </div>
      )}
      {!progress && model.localChangedSincePush && model.can('push') && (
        <p className={cls('hint')}>
          {trans.__(
            'The local notebook changed since the last push; Run uses the pushed version.'
          )}
        </p>
      )}
      {model.notice && (
        <p className={cls('notice')} role="status">
          {model.notice}
        </p>
      )}
      {!progress && model.pushFolder && (
        <p className={cls('hint pushFolder')}>
          {model.pushFolder.files === 0
            ? trans.__('No files beside the notebook to carry with it.')
            : trans._n(
                'Carried %1 file beside the notebook (%2)%3; runs start among them.',
                'Carried %1 files beside the notebook (%2)%3; runs start among them.',
                model.pushFolder.files,
                formatSize(model.pushFolder.bytes),
                model.pushFolder.subfolders ? trans.__(', with subfolders') : ''
              )}
        </p>
      )}
      {!progress && (
        <PushWarnings warnings={model.pushWarnings} trans={trans} />
      )}
      <ErrorMessage error={model.shownError('actions')} trans={trans} />
    </div>
  );
}

/**
 * What the last push's notebook check noticed: one plain line, and the
 * departures from the notebook format behind a disclosure.
 */
function PushWarnings(props: {
  warnings: IPushWarning[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { warnings, trans } = props;
  if (warnings.length === 0) {
    return null;
  }
  return (
    <div className={cls('pushWarnings')}>
      <p className={cls('hint')}>
        {trans._n(
          'Pushed as saved, with %1 warning about the notebook format.',
          'Pushed as saved, with %1 warnings about the notebook format.',
          warnings.length
        )}
      </p>
      <details>
        <summary>{trans.__('Details')}</summary>
        <ul>
          {warnings.map((warning, index) => (
            <li key={index}>
              {warning.path && <code>{warning.path}</code>} {warning.message}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

function capabilityLabel(
  capability: Capability,
  trans: TranslationBundle
): string {
  const labels: { [capability: string]: string } = {
    push: trans.__('Push'),
    execute: trans.__('Run'),
    cancel: trans.__('Cancel'),
    logs: trans.__('Runs'),
    usage: trans.__('Usage'),
    rename: trans.__('Rename'),
    inputExport: trans.__('Input export'),
    list: trans.__('List'),
    create: trans.__('Create')
  };
  return labels[capability] ?? capability;
}
