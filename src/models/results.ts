/**
 * Opening the result notebook of a run in JupyterLab: a local copy next to
 * the notebook that was pushed, under a name no file has yet.
 */
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { CLIENT_REASONS, RemoteApiError } from '../api';
import { dirName, stem } from '../notebook';
import { METADATA_KEY } from '../tokens';
import { IModelContext, withRunFile } from './context';
import { LinkModel } from './link';

/** How many numbered names to try before giving up. */
const MAX_TRIES = 1000;

export class ResultNotebooks {
  constructor(options: ResultNotebooks.IOptions) {
    this._context = options.context;
    this._link = options.link;
    this._contents = options.contents;
    this._openPath = options.openPath;
  }

  /**
   * Fetch an output notebook of a run of the linked notebook, save it next
   * to the local notebook (never overwriting) and open it. Resolves the new
   * path, or null when nothing was saved.
   */
  async open(executionId: string, name: string): Promise<string | null> {
    const link = this._link.link;
    const notebook = this._link.notebook;
    const contents = this._contents;
    if (!link || !notebook || !contents) {
      return null;
    }
    const file = { executionId, name };
    let saved: string | null = null;
    await withRunFile(this._context, link, 'open-result', file, async text => {
      saved = await saveResultCopy({
        contents,
        notebookPath: notebook.path,
        text,
        trans: this._context.trans,
        ...file
      });
    });
    if (saved && this._openPath) {
      this._openPath(saved);
    }
    return saved;
  }

  private _context: IModelContext;
  private _link: LinkModel;
  private _contents: Contents.IManager | null;
  private _openPath: ((path: string) => void) | null;
}

export namespace ResultNotebooks {
  export interface IOptions {
    context: IModelContext;
    link: LinkModel;
    /** Where the copies are saved; without it nothing is. */
    contents: Contents.IManager | null;
    /** Opens a path in JupyterLab. */
    openPath: ((path: string) => void) | null;
  }
}

/**
 * Save the text of a result notebook (`name`, an output of run
 * `executionId`) next to `notebookPath` as `<stem>.result-<id>[-n].ipynb`,
 * never overwriting a file. Resolves the path it saved to.
 */
async function saveResultCopy(options: {
  contents: Contents.IManager;
  notebookPath: string;
  executionId: string;
  name: string;
  text: string;
  trans: TranslationBundle;
}): Promise<string> {
  const { contents, notebookPath, executionId, name, text, trans } = options;
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    throw new RemoteApiError({
      message: trans.__('%1 of this run is not a readable notebook.', name),
      status: 200,
      reason: CLIENT_REASONS.badResponse
    });
  }
  // The copy is a result, not a second source of the remote notebook:
  // it must not carry the link (a push from it would replace the source).
  const metadata = (content as { metadata?: { [key: string]: unknown } })
    ?.metadata;
  if (metadata && typeof metadata === 'object') {
    delete metadata[METADATA_KEY];
  }
  const path = await freePath(
    contents,
    dirName(notebookPath),
    `${stem(notebookPath)}.result-${executionId.slice(0, 6)}`,
    '.ipynb',
    trans
  );
  await contents.save(path, { type: 'notebook', format: 'json', content });
  return path;
}

/** The first of `base.ext`, `base-1.ext`, ... that does not exist. */
async function freePath(
  contents: Contents.IManager,
  folder: string,
  base: string,
  extension: string,
  trans: TranslationBundle
): Promise<string> {
  const join = (name: string) => (folder ? `${folder}/${name}` : name);
  for (let i = 0; i < MAX_TRIES; i++) {
    const candidate = join(
      i === 0 ? `${base}${extension}` : `${base}-${i}${extension}`
    );
    try {
      await contents.get(candidate, { content: false });
    } catch {
      return candidate;
    }
  }
  throw new RemoteApiError({
    message: trans.__(
      'Too many result files named %1-*%2 already exist in this folder.',
      base,
      extension
    ),
    status: 409,
    reason: 'conflict'
  });
}
