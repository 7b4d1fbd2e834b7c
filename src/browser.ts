/**
 * The file browser's context menu on notebooks: push and run one or several
 * selected notebooks, open their runs, link one that is not linked yet.
 *
 * A notebook's link is read from its saved file (or from its open widget,
 * saved first when it has unsaved changes), so it need not be open.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { fileUploadIcon, linkIcon, runIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';

import { RemoteApiError } from './api';
import { remoteNotebookIcon, runOptionsIcon } from './icons';
import { RemoteModel } from './model';
import { baseName } from './notebook';
import { CommandIDs } from './tokens';
import { INotebookLink } from './types';

/** An open notebook, as far as these commands need it. */
export interface IOpenNotebook {
  dirty: boolean;
  save(): Promise<void>;
  link(): INotebookLink | null;
}

export interface IBrowserContext {
  commands: CommandRegistry;
  model: RemoteModel;
  trans: TranslationBundle;
  /** The items selected in the file browser. */
  selection: () => Contents.IModel[];
  /** The open notebook at a path, if it is open. */
  findOpen: (path: string) => IOpenNotebook | null;
  /** Open a notebook in the application. */
  openNotebook: (path: string) => Promise<unknown>;
  openPanel: () => void;
  /** Open the runs view, showing one notebook's runs (all with null). */
  openRuns: (notebook: INotebookLink | null) => void;
}

/** Whether a file browser item is a notebook. */
export function isNotebook(item: Contents.IModel): boolean {
  return item.type === 'notebook' || /\.ipynb$/i.test(item.name);
}

/** A path and the link it has (null: not linked). */
interface ILinkedPath {
  path: string;
  link: INotebookLink | null;
}

export function addBrowserCommands(context: IBrowserContext): void {
  const { commands, model, trans } = context;
  const selected = () => context.selection().filter(isNotebook);
  const pathsOf = (args: { paths?: unknown; path?: unknown }): string[] => {
    if (Array.isArray(args.paths)) {
      return args.paths.filter((p): p is string => typeof p === 'string');
    }
    if (typeof args.path === 'string') {
      return [args.path];
    }
    return selected().map(item => item.path);
  };

  /** The links of the notebooks at `paths` (open ones saved first). */
  const linksOf = async (
    paths: string[],
    save: boolean
  ): Promise<{ linked: ILinkedPath[]; failed: string[] }> => {
    const linked: ILinkedPath[] = [];
    const failed: string[] = [];
    for (const path of paths) {
      try {
        const open = context.findOpen(path);
        if (open && save && open.dirty) {
          await open.save();
        }
        const link = open ? open.link() : await model.readLink(path);
        if (open) {
          model.workspace.note(path, link);
        }
        linked.push({ path, link });
      } catch (error) {
        failed.push(
          trans.__('%1: %2', baseName(path), messageOf(error, trans))
        );
      }
    }
    return { linked, failed };
  };

  /** Say that these notebooks are not linked, offering to link the first. */
  const sayUnlinked = (paths: string[]) => {
    if (!paths.length) {
      return;
    }
    Notification.warning(
      trans.__(
        'Not linked to a remote notebook: %1',
        paths.map(baseName).join(', ')
      ),
      {
        autoClose: false,
        actions: [
          {
            label: trans.__('Link…'),
            caption: trans.__(
              'Link %1 to a remote notebook',
              baseName(paths[0])
            ),
            callback: () =>
              void commands.execute(CommandIDs.browserLink, { path: paths[0] })
          }
        ]
      }
    );
  };

  /** Say what a push or run of several notebooks did. */
  const report = (done: string, doneItems: string[], failed: string[]) => {
    if (doneItems.length) {
      Notification.success(trans.__('%1: %2', done, doneItems.join(', ')), {
        autoClose: 6000,
        actions: [
          {
            label: trans.__('Show runs'),
            caption: trans.__('Open the Remote runs view'),
            callback: () => context.openRuns(null)
          }
        ]
      });
    }
    for (const failure of failed) {
      Notification.error(failure, { autoClose: false });
    }
  };

  const connectionCan = (link: INotebookLink, capability: 'push' | 'execute') =>
    model.can(
      capability,
      model.connections.find(c => c.id === link.connection) ?? null
    );

  /**
   * Push or run each of `found` that is linked and whose connection can;
   * say what was done, what failed and what is not linked. Resolves how
   * many were done.
   */
  const eachLinked = async (
    found: {
      linked: { path: string; link: INotebookLink | null }[];
      failed: string[];
    },
    capability: 'push' | 'execute',
    act: (link: INotebookLink & { path: string }) => Promise<unknown>,
    done: string,
    failure: (name: string, message: string) => string
  ): Promise<number> => {
    const { linked, failed } = found;
    const doneItems: string[] = [];
    const unlinked: string[] = [];
    for (const { path, link } of linked) {
      if (!link) {
        unlinked.push(path);
        continue;
      }
      const why = connectionCan(link, capability)
        ? null
        : (model.whyNot(
            capability,
            model.connections.find(c => c.id === link.connection) ?? null
          ) ?? trans.__('its connection cannot do it'));
      try {
        if (why) {
          throw new Error(why);
        }
        await act({ ...link, path });
        doneItems.push(baseName(path));
      } catch (error) {
        failed.push(
          why
            ? trans.__('%1: %2', baseName(path), why)
            : failure(baseName(path), messageOf(error, trans))
        );
      }
    }
    report(done, doneItems, failed);
    sayUnlinked(unlinked);
    return doneItems.length;
  };

  commands.addCommand(CommandIDs.browserPush, {
    label: trans.__('Push to Remote'),
    caption: trans.__('Push the selected notebooks to their remote notebooks'),
    icon: fileUploadIcon,
    isVisible: () => selected().length > 0,
    execute: async args => {
      return eachLinked(
        await linksOf(pathsOf(args), true),
        'push',
        link => model.pushFile(link.path, link),
        trans.__('Pushed'),
        (name, message) => trans.__('Push of %1 failed: %2', name, message)
      );
    }
  });

  commands.addCommand(CommandIDs.browserRun, {
    label: trans.__('Run on Remote'),
    caption: trans.__(
      'Run the selected notebooks as last pushed, on their remote notebooks'
    ),
    icon: runIcon,
    isVisible: () => selected().length > 0,
    execute: async args => {
      const paths = pathsOf(args);
      if (model.settings.confirmBeforeRun) {
        const answer = await showDialog({
          title: trans.__('Run on the remote notebooks?'),
          body: trans.__(
            'Start a run of what was last pushed of %1.',
            paths.map(baseName).join(', ')
          ),
          buttons: [
            Dialog.cancelButton({ label: trans.__("Don't run") }),
            Dialog.okButton({ label: trans.__('Run') })
          ]
        });
        if (!answer.button.accept) {
          return 0;
        }
      }
      return eachLinked(
        await linksOf(paths, false),
        'execute',
        link => model.runFile(link.path, link),
        trans.__('Runs started'),
        (name, message) =>
          trans.__('Run of %1 failed to start: %2', name, message)
      );
    }
  });

  commands.addCommand(CommandIDs.browserRunWithOptions, {
    label: trans.__('Run on Remote with Options…'),
    icon: runOptionsIcon,
    isVisible: () => selected().length === 1,
    // Opened as Link… opens it (whose chooser shows if it is not linked),
    // then the dialog of the panel's notebook, once it is this one.
    execute: async args => {
      const [path] = pathsOf(args);
      await commands.execute(CommandIDs.browserLink, { path });
      if (model.link && model.notebook?.path === path) {
        return commands.execute(CommandIDs.runWithOptions);
      }
    }
  });

  commands.addCommand(CommandIDs.browserOpenRuns, {
    label: trans.__('Open Remote Runs'),
    icon: remoteNotebookIcon,
    isVisible: () => selected().length > 0,
    execute: async args => {
      const paths = pathsOf(args);
      const { linked } = await linksOf(paths, false);
      const links = linked.filter(l => l.link);
      context.openRuns(links.length === 1 ? links[0].link : null);
      sayUnlinked(linked.filter(l => !l.link).map(l => l.path));
    }
  });

  commands.addCommand(CommandIDs.browserLink, {
    label: trans.__('Link to Remote Notebook…'),
    caption: trans.__('Open the notebook and choose its remote notebook'),
    icon: linkIcon,
    // Offered for one notebook not known to be linked (its file is read
    // only when acted on: a menu must open at once).
    isVisible: () => {
      const items = selected();
      if (items.length !== 1) {
        return false;
      }
      const open = context.findOpen(items[0].path);
      return open ? !open.link() : !model.workspace.byPath(items[0].path);
    },
    execute: async args => {
      const [path] = pathsOf(args);
      if (!path) {
        return;
      }
      await context.openNotebook(path);
      const shown = await followed(model, path);
      context.openPanel();
      if (shown && !model.link) {
        model.chooser.open();
      }
    }
  });
}

/** Wait until the model follows the notebook at `path` (at most 20 s). */
function followed(model: RemoteModel, path: string): Promise<boolean> {
  return new Promise(resolve => {
    if (model.notebook?.path === path) {
      resolve(true);
      return;
    }
    const onChange = () => {
      if (model.notebook?.path === path) {
        done(true);
      }
    };
    const timer = setTimeout(() => done(false), 20000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      model.linkChanged.disconnect(onChange);
      resolve(ok);
    };
    model.linkChanged.connect(onChange);
  });
}

function messageOf(error: unknown, trans: TranslationBundle): string {
  if (error instanceof RemoteApiError || error instanceof Error) {
    return error.message;
  }
  return trans.__('unknown error');
}
