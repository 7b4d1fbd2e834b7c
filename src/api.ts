/**
 * The one REST client of the server extension (DESIGN.md, "REST contract").
 *
 * Every endpoint has a method here and nowhere else builds a URL to the
 * extension. A failing call throws {@link RemoteApiError}, which carries the
 * server's `reason` so that the UI can choose its words without matching text.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  FolderMode,
  IConnectionList,
  IErrorBody,
  IExecuteBody,
  IExecution,
  IExecutionList,
  IExecutionStarted,
  IInputExportBody,
  IJobQueued,
  INotebookCreate,
  INotebookPage,
  INotebookPatch,
  IPullResult,
  IPushResult,
  IRemoteNotebook,
  ISchedule,
  IScheduleAnswer,
  IScheduleBody,
  IUsage
} from './types';

/** The URL namespace of the server extension, under Jupyter's base URL. */
const API_NAMESPACE = 'notebook-remote';

/**
 * Reasons the client itself gives, next to the server's own
 * (`invalid_input`, `token_missing`, `remote_auth`, ...).
 */
export const CLIENT_REASONS = {
  /** `GET connections` is not answered by this extension: it is not installed or not enabled. */
  extensionMissing: 'extension_missing',
  /** The browser could not reach the Jupyter server. */
  network: 'network',
  /** The server answered something that is not this extension's JSON. */
  badResponse: 'bad_response'
} as const;

/** An error of the REST API, with the server's JSON body when there is one. */
export class RemoteApiError extends Error {
  constructor(options: RemoteApiError.IOptions) {
    super(options.message);
    this.name = 'RemoteApiError';
    this.status = options.status;
    this.reason = options.reason;
    this.connection = options.connection;
    this.remoteStatus = options.remoteStatus;
    this.fields = options.fields ?? {};
    this.retryAfter = options.retryAfter;
  }

  /** HTTP status of the answer (0 when the server could not be reached). */
  readonly status: number;
  /** Machine-readable cause; the UI branches on this, never on `message`. */
  readonly reason: string;
  readonly connection?: string;
  readonly remoteStatus?: number;
  /** Field name -> what is wrong with it (for `invalid_input`). */
  readonly fields: { [field: string]: string };
  /** Seconds to wait before trying again (from `Retry-After`, on 429). */
  readonly retryAfter?: number;
}

export namespace RemoteApiError {
  export interface IOptions {
    message: string;
    status: number;
    reason: string;
    connection?: string;
    remoteStatus?: number;
    fields?: { [field: string]: string };
    retryAfter?: number;
  }

  /** Whether `value` is a REST API error with the given reason(s). */
  export function hasReason(value: unknown, ...reasons: string[]): boolean {
    return value instanceof RemoteApiError && reasons.includes(value.reason);
  }
}

/** Query parameters; undefined values are left out. */
type Query = { [key: string]: string | number | undefined };

/** The REST client. One instance per application, shared by model and commands. */
export class RemoteNotebookApi {
  constructor(options: RemoteNotebookApi.IOptions = {}) {
    this._serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  // ---------------------------------------------------------------- connections

  async listConnections(): Promise<IConnectionList> {
    try {
      return await this._json<IConnectionList>(['connections']);
    } catch (error) {
      if (
        error instanceof RemoteApiError &&
        error.status === 404 &&
        error.reason === CLIENT_REASONS.badResponse
      ) {
        throw new RemoteApiError({
          message:
            'The jupyter_notebook_remote server extension is not running on this Jupyter server.',
          status: 404,
          reason: CLIENT_REASONS.extensionMissing
        });
      }
      throw error;
    }
  }

  /** Send a token once; the server keeps it and never sends it back. */
  async setToken(connection: string, token: string): Promise<void> {
    await this._request(['connections', connection, 'token'], {
      method: 'PUT',
      body: JSON.stringify({ token })
    });
  }

  async forgetToken(connection: string): Promise<void> {
    await this._request(['connections', connection, 'token'], {
      method: 'DELETE'
    });
  }

  // ---------------------------------------------------------------- notebooks

  listNotebooks(
    connection: string,
    options: { filter?: string; page?: number; perPage?: number } = {}
  ): Promise<INotebookPage> {
    return this._json<INotebookPage>(
      ['connections', connection, 'notebooks'],
      {},
      { filter: options.filter, page: options.page, perPage: options.perPage }
    );
  }

  createNotebook(
    connection: string,
    body: INotebookCreate
  ): Promise<IRemoteNotebook> {
    return this._json<IRemoteNotebook>(
      ['connections', connection, 'notebooks'],
      post(body)
    );
  }

  getNotebook(connection: string, notebook: string): Promise<IRemoteNotebook> {
    return this._json<IRemoteNotebook>(notebookPath(connection, notebook));
  }

  updateNotebook(
    connection: string,
    notebook: string,
    patch: INotebookPatch
  ): Promise<IRemoteNotebook> {
    return this._json<IRemoteNotebook>(notebookPath(connection, notebook), {
      method: 'PATCH',
      body: JSON.stringify(patch)
    });
  }

  /** Delete the remote notebook (Civis archives it); nothing local changes. */
  async deleteNotebook(connection: string, notebook: string): Promise<void> {
    await this._request(notebookPath(connection, notebook), {
      method: 'DELETE'
    });
  }

  /**
   * Push the saved file at `path`; `folder`: the files beside it to carry;
   * `expectUpdatedAt`: the remote's `updatedAt` the link last saw (a remote
   * changed since is refused with `remote_changed`).
   */
  push(
    connection: string,
    notebook: string,
    path: string,
    folder?: FolderMode,
    expectUpdatedAt?: string
  ): Promise<IPushResult> {
    return this._json<IPushResult>(
      notebookPath(connection, notebook, 'push'),
      post({ path, folder, expectUpdatedAt })
    );
  }

  /**
   * Save the remote's file at `path` (contents), linked to it; an existing
   * file is replaced only with `overwrite` (`exists` otherwise).
   */
  pull(
    connection: string,
    notebook: string,
    path: string,
    overwrite = false
  ): Promise<IPullResult> {
    return this._json<IPullResult>(
      notebookPath(connection, notebook, 'pull'),
      post({ path, overwrite })
    );
  }

  // ---------------------------------------------------------------- runs

  execute(
    connection: string,
    notebook: string,
    body: IExecuteBody = {}
  ): Promise<IExecutionStarted> {
    return this._json<IExecutionStarted>(
      notebookPath(connection, notebook, 'executions'),
      post(body)
    );
  }

  /**
   * The runs of a notebook, newest first. `maxAge` (seconds) is how old an
   * answer the server may share from identical reads of other tabs
   * (`Cache-Control: max-age`); a poll gives its interval, so it never sees
   * the same answer twice.
   */
  async listExecutions(
    connection: string,
    notebook: string,
    options: { limit?: number; since?: number; maxAge?: number } = {}
  ): Promise<IExecution[]> {
    const init: RequestInit = {};
    if (options.maxAge !== undefined) {
      const seconds = Math.max(0, Math.floor(options.maxAge));
      init.headers = { 'Cache-Control': `max-age=${seconds}` };
    }
    const list = await this._json<IExecutionList>(
      notebookPath(connection, notebook, 'executions'),
      init,
      { limit: options.limit, since: options.since }
    );
    return list.items;
  }

  async cancelExecution(
    connection: string,
    notebook: string,
    execution: string
  ): Promise<void> {
    await this._request(
      notebookPath(connection, notebook, 'executions', execution, 'cancel'),
      { method: 'POST' }
    );
  }

  /**
   * Where to open a run that is a live server (Civis): a signed, short-lived
   * URL, read fresh each time and never kept.
   */
  openExecution(
    connection: string,
    notebook: string,
    execution: string
  ): Promise<{ url: string }> {
    return this._json(
      notebookPath(connection, notebook, 'executions', execution, 'open'),
      { cache: 'no-store' }
    );
  }

  /** The text of an output file of a run (result.log, result.ipynb...). */
  async fetchExecutionFile(
    connection: string,
    notebook: string,
    execution: string,
    name: string
  ): Promise<string> {
    const response = await this._request(
      notebookPath(
        connection,
        notebook,
        'executions',
        execution,
        'files',
        name
      ),
      {}
    );
    return response.text();
  }

  usage(
    connection: string,
    notebook: string,
    range: { start: number; end: number }
  ): Promise<IUsage> {
    return this._json<IUsage>(
      notebookPath(connection, notebook, 'usage'),
      {},
      { start: range.start, end: range.end }
    );
  }

  inputExport(
    connection: string,
    notebook: string,
    body: IInputExportBody
  ): Promise<IJobQueued> {
    return this._json<IJobQueued>(
      notebookPath(connection, notebook, 'input-export'),
      post(body)
    );
  }

  // ---------------------------------------------------------------- schedule

  /** The notebook's schedule, or null when it has none. */
  async getSchedule(
    connection: string,
    notebook: string
  ): Promise<ISchedule | null> {
    const answer = await this._json<IScheduleAnswer>(
      notebookPath(connection, notebook, 'schedule')
    );
    return answer.schedule ?? null;
  }

  /** Create or replace the notebook's schedule (pause: `active: false`). */
  async putSchedule(
    connection: string,
    notebook: string,
    body: IScheduleBody
  ): Promise<ISchedule> {
    const answer = await this._json<IScheduleAnswer>(
      notebookPath(connection, notebook, 'schedule'),
      { method: 'PUT', body: JSON.stringify(body) }
    );
    if (!answer.schedule) {
      throw new RemoteApiError({
        message: 'The server did not send the schedule back.',
        status: 200,
        reason: CLIENT_REASONS.badResponse
      });
    }
    return answer.schedule;
  }

  async deleteSchedule(connection: string, notebook: string): Promise<void> {
    await this._request(notebookPath(connection, notebook, 'schedule'), {
      method: 'DELETE'
    });
  }

  // ---------------------------------------------------------------- plumbing

  /** The URL of an API path; each segment is URL-encoded. */
  private _url(segments: string[], query?: Query): string {
    const path = URLExt.join(
      this._serverSettings.baseUrl,
      API_NAMESPACE,
      ...segments.map(s => encodeURIComponent(s))
    );
    const params: { [key: string]: string } = {};
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') {
        params[key] = String(value);
      }
    }
    const search = URLExt.objectToQueryString(params);
    return search && search !== '?' ? path + search : path;
  }

  private async _json<T>(
    segments: string[],
    init: RequestInit = {},
    query?: Query
  ): Promise<T> {
    const response = await this._request(segments, init, query);
    const text = await response.text();
    if (!text) {
      throw new RemoteApiError({
        message: `The server sent an empty answer to ${segments[segments.length - 1]}.`,
        status: response.status,
        reason: CLIENT_REASONS.badResponse
      });
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RemoteApiError({
        message: 'The server sent an answer that is not JSON.',
        status: response.status,
        reason: CLIENT_REASONS.badResponse
      });
    }
  }

  private async _request(
    segments: string[],
    init: RequestInit,
    query?: Query
  ): Promise<Response> {
    const url = this._url(segments, query);
    const headers = new Headers(init.headers);
    if (init.body !== undefined && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { ...init, headers },
        this._serverSettings
      );
    } catch (error) {
      throw new RemoteApiError({
        message:
          'The Jupyter server cannot be reached. Check that it is still running, then try again.',
        status: 0,
        reason: CLIENT_REASONS.network
      });
    }
    if (!response.ok) {
      throw await Private.errorFrom(response);
    }
    return response;
  }

  private _serverSettings: ServerConnection.ISettings;
}

/** The path segments of a remote notebook, or of something under it. */
function notebookPath(
  connection: string,
  notebook: string,
  ...rest: string[]
): string[] {
  return ['connections', connection, 'notebooks', notebook, ...rest];
}

/** A POST with a JSON body. */
function post(body: unknown): RequestInit {
  return { method: 'POST', body: JSON.stringify(body) };
}

export namespace RemoteNotebookApi {
  export interface IOptions {
    serverSettings?: ServerConnection.ISettings;
  }
}

namespace Private {
  /** Turn a failed response into a RemoteApiError, reading our JSON body. */
  export async function errorFrom(response: Response): Promise<RemoteApiError> {
    const retryHeader = response.headers.get('Retry-After');
    const retryAfter =
      retryHeader !== null && retryHeader !== '' && !isNaN(Number(retryHeader))
        ? Number(retryHeader)
        : undefined;
    let body: Partial<IErrorBody> | null = null;
    try {
      const text = await response.text();
      body = text ? (JSON.parse(text) as Partial<IErrorBody>) : null;
    } catch {
      body = null;
    }
    if (
      body &&
      typeof body === 'object' &&
      typeof body.message === 'string' &&
      typeof body.reason === 'string'
    ) {
      return new RemoteApiError({
        message: body.message,
        status: response.status,
        reason: body.reason,
        connection: body.connection,
        remoteStatus: body.remoteStatus,
        fields: body.fields,
        retryAfter
      });
    }
    // Not our JSON: Jupyter itself refused (403 without a login, 404 of a
    // route that does not exist, a proxy error page...).
    const jupyterMessage =
      body && typeof body === 'object' && typeof body.message === 'string'
        ? body.message
        : '';
    return new RemoteApiError({
      message:
        response.status === 403
          ? 'The Jupyter server refused the request (403). Reload the page to log in again.'
          : `The Jupyter server answered ${response.status} ${response.statusText}`.trim() +
            (jupyterMessage ? `: ${jupyterMessage}` : '.'),
      status: response.status,
      reason: CLIENT_REASONS.badResponse,
      retryAfter
    });
  }
}
