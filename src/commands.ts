/**
 * The commands of the palette, the notebook toolbar and the panel's buttons.
 * Confirmations live here so that every way of starting an action asks the
 * same questions.
 */
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  fileUploadIcon,
  linkIcon,
  refreshIcon,
  runIcon,
  stopIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ISignal } from '@lumino/signaling';

import { openRunOptions } from './components/RunOptionsDialog';
import { openScheduleDialog } from './components/ScheduleDialog';
import { formatTime, statusLabel } from './format';
import { IExecution } from './types';
import { pushAndRunIcon, remoteNotebookIcon, runOptionsIcon } from './icons';
import { RemoteModel } from './model';
import { pushChecked } from './pushChecked';
import { CommandIDs, PALETTE_CATEGORY } from './tokens';

export interface ICommandContext {
  commands: CommandRegistry;
  model: RemoteModel;
  trans: TranslationBundle;
  /** Show (and focus) the Remote Notebooks panel. */
  openPanel: () => void;
  /** Show (and focus) the Remote runs view. */
  openRuns: () => void;
}

/** Whether a command makes sense for the active notebook right now. */
export function isCommandEnabled(model: RemoteModel, id: string): boolean {
  const link = model.link;
  const connection = model.linkConnection;
  const pushing = model.isBusy('push');
  const running = model.isBusy('run');
  switch (id) {
    case CommandIDs.push:
      return !!link && !!connection && model.can('push') && !pushing;
    case CommandIDs.run:
    case CommandIDs.runWithOptions:
      return (
        !!link && !!connection && model.can('execute') && !running && !pushing
      );
    case CommandIDs.pushAndRun:
      return (
        !!link &&
        !!connection &&
        model.can('push') &&
        model.can('execute') &&
        !running &&
        !pushing
      );
    case CommandIDs.cancel:
      return (
        !!link &&
        model.can('cancel') &&
        !!model.cancelTarget &&
        !model.isBusy('cancel')
      );
    case CommandIDs.link:
      return (
        !!model.notebook &&
        !link &&
        !!model.connection &&
        (model.can('list', model.connection) ||
          model.can('create', model.connection))
      );
    case CommandIDs.unlink:
      return !!link;
    case CommandIDs.refresh:
      return !model.extensionMissing;
    case CommandIDs.openPanel:
    case CommandIDs.openRuns:
      return true;
    case CommandIDs.schedule:
      return !!link && model.can('schedule') && !model.isBusy('schedule');
    case CommandIDs.openRemoteCopy:
    case CommandIDs.replaceWithRemote:
      return !!link && model.can('pull') && !model.isBusy('pull') && !pushing;
    default:
      return false;
  }
}

export function addCommands(context: ICommandContext): void {
  const { commands, model, trans, openPanel, openRuns } = context;
  const add = (
    id: string,
    options: Omit<CommandRegistry.ICommandOptions, 'isEnabled'>
  ) =>
    commands.addCommand(id, {
      isEnabled: () => isCommandEnabled(model, id),
      ...options
    });

  /** Start a run after the confirmations; with `push`, push first. */
  const startRun = async (push: boolean): Promise<string | null> => {
    if (!(await confirmRun(model, trans))) {
      return null;
    }
    if (!push && model.localChangedSincePush && model.can('push')) {
      const choice = await showDialog({
        title: trans.__('The notebook changed since the last push'),
        body: trans.__(
          'The remote run uses the version that was last pushed. Push the current notebook first?'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__("Don't run") }),
          Dialog.okButton({
            label: trans.__('Run pushed version'),
            displayType: 'default',
            actions: ['run-pushed']
          }),
          Dialog.okButton({ label: trans.__('Push and run') })
        ]
      });
      if (!choice.button.accept) {
        return null;
      }
      push = !choice.button.actions.includes('run-pushed');
    }
    openPanel();
    return !push || (await pushChecked(model, trans)) ? model.run() : null;
  };

  add(CommandIDs.push, {
    label: trans.__('Push Notebook to Remote'),
    caption: trans.__('Save the notebook and push it to its remote notebook'),
    icon: fileUploadIcon,
    execute: () => pushChecked(model, trans)
  });

  add(CommandIDs.run, {
    label: trans.__('Run Remote Notebook'),
    caption: trans.__('Run what was last pushed to the remote notebook'),
    icon: runIcon,
    execute: () => startRun(false)
  });

  add(CommandIDs.runWithOptions, {
    label: trans.__('Run Remote Notebook with Options…'),
    icon: runOptionsIcon,
    execute: () => {
      openPanel();
      return openRunOptions(model, trans);
    }
  });

  add(CommandIDs.pushAndRun, {
    label: trans.__('Push and Run on Remote'),
    icon: pushAndRunIcon,
    execute: () => startRun(true)
  });

  add(CommandIDs.cancel, {
    label: trans.__('Cancel Remote Run'),
    caption: trans.__('Cancel the selected or running remote run'),
    icon: stopIcon,
    execute: async () => {
      const target = model.cancelTarget;
      if (!target) {
        return false;
      }
      if (!(await confirmCancel(target, trans))) {
        return false;
      }
      return model.cancel(target.id);
    }
  });

  add(CommandIDs.link, {
    label: trans.__('Link Notebook to a Remote Notebook'),
    caption: trans.__('Choose or create the remote notebook of this notebook'),
    icon: linkIcon,
    execute: () => {
      openPanel();
      model.chooser.open();
    }
  });

  add(CommandIDs.unlink, {
    label: trans.__('Unlink Notebook from its Remote Notebook'),
    execute: () => model.unlink()
  });

  add(CommandIDs.refresh, {
    label: trans.__('Refresh Remote Runs'),
    caption: trans.__('Check the runs and usage now'),
    icon: refreshIcon,
    execute: async () => {
      if (!model.connectionsLoaded || model.error('connections')) {
        await model.loadConnections();
      }
      return model.refresh();
    }
  });

  add(CommandIDs.schedule, {
    label: trans.__('Schedule Remote Notebook…'),
    caption: trans.__(
      'Run the remote notebook on a schedule: every hour, every Monday at 06:50, until a date'
    ),
    execute: () => {
      openPanel();
      return openScheduleDialog(model, trans);
    }
  });

  add(CommandIDs.openRemoteCopy, {
    label: trans.__('Open Remote Copy of Notebook'),
    caption: trans.__(
      "Open the remote notebook's file as a new, linked notebook"
    ),
    execute: () => {
      openPanel();
      return model.openRemoteCopy();
    }
  });

  add(CommandIDs.replaceWithRemote, {
    label: trans.__('Replace Notebook with its Remote Copy…'),
    execute: async () => {
      const name = model.remoteNotebook?.name ?? model.link?.notebookId ?? '';
      const result = await showDialog({
        title: trans.__('Replace this notebook?'),
        body: model.notebook?.dirty
          ? trans.__(
              'The file "%1" holds replaces this notebook; unsaved changes are lost.',
              name
            )
          : trans.__('This notebook is replaced by the file "%1" holds.', name),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Keep mine') }),
          Dialog.warnButton({ label: trans.__('Replace') })
        ]
      });
      return result.button.accept && model.replaceWithRemoteCopy();
    }
  });

  add(CommandIDs.openRuns, {
    label: trans.__('Open Remote Runs'),
    caption: trans.__(
      'Every run of the notebooks linked in this workspace, across connections'
    ),
    icon: remoteNotebookIcon,
    execute: () => openRuns()
  });

  add(CommandIDs.openPanel, {
    label: trans.__('Open Remote Notebooks Panel'),
    icon: remoteNotebookIcon,
    execute: () => openPanel()
  });

  // Buttons, menus and the palette follow what their enabled state reads.
  const {
    push,
    run,
    pushAndRun,
    cancel,
    link,
    unlink,
    refresh,
    schedule,
    openRemoteCopy,
    replaceWithRemote
  } = CommandIDs;
  const runs = [run, CommandIDs.runWithOptions];
  const follows: [ISignal<RemoteModel, void>, string[]][] = [
    [
      model.connectionsChanged,
      [push, ...runs, pushAndRun, cancel, link, refresh]
    ],
    [model.linkChanged, [push, ...runs, pushAndRun, cancel, link, unlink]],
    [model.runsChanged, [cancel]],
    [model.activityChanged, [push, ...runs, pushAndRun, cancel, schedule]],
    [model.activityChanged, [openRemoteCopy, replaceWithRemote]],
    [model.linkChanged, [openRemoteCopy, replaceWithRemote]],
    [model.connectionsChanged, [openRemoteCopy, replaceWithRemote]],
    [model.connectionsChanged, [schedule]],
    [model.linkChanged, [schedule]]
  ];
  for (const [signal, ids] of follows) {
    signal.connect(() => {
      for (const id of ids) {
        commands.notifyCommandChanged(id);
      }
    });
  }
}

/** Ask before canceling a run; resolves whether to cancel it. */
export async function confirmCancel(
  target: IExecution,
  trans: TranslationBundle,
  notebookName?: string
): Promise<boolean> {
  const queued = formatTime(target.queuedAt);
  const status = statusLabel(target.status, trans).toLowerCase();
  const result = await showDialog({
    title: trans.__('Cancel this run?'),
    body: notebookName
      ? trans.__(
          'The run of %1 queued %2 is %3. Canceling stops it; its outputs so far may be lost.',
          notebookName,
          queued || target.id,
          status
        )
      : trans.__(
          'The run queued %1 is %2. Canceling stops it; its outputs so far may be lost.',
          queued || target.id,
          status
        ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep running') }),
      Dialog.warnButton({ label: trans.__('Cancel run') })
    ]
  });
  return result.button.accept;
}

/** Ask before a run when the settings say so. */
async function confirmRun(
  model: RemoteModel,
  trans: TranslationBundle
): Promise<boolean> {
  if (!model.settings.confirmBeforeRun) {
    return true;
  }
  const name = model.remoteNotebook?.name ?? model.link?.notebookId ?? '';
  const result = await showDialog({
    title: trans.__('Run on the remote notebook?'),
    body: trans.__(
      'Start a run of "%1" on %2.',
      name,
      model.link?.connection ?? ''
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__("Don't run") }),
      Dialog.okButton({ label: trans.__('Run') })
    ]
  });
  return result.button.accept;
}

/** Put the commands in the palette, under one category. */
export function addToPalette(palette: ICommandPalette): void {
  for (const command of [
    CommandIDs.push,
    CommandIDs.run,
    CommandIDs.runWithOptions,
    CommandIDs.pushAndRun,
    CommandIDs.cancel,
    CommandIDs.link,
    CommandIDs.unlink,
    CommandIDs.refresh,
    CommandIDs.openPanel,
    CommandIDs.schedule,
    CommandIDs.openRuns,
    CommandIDs.openRemoteCopy,
    CommandIDs.replaceWithRemote
  ]) {
    palette.addItem({ command, category: PALETTE_CATEGORY });
  }
}
