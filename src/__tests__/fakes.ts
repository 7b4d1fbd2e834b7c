/**
 * Test helpers: a scripted `fetch` behind real ServerConnection settings,
 * and an in-memory notebook handle.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteNotebookApi } from '../api';
import { INotebookHandle } from '../notebook';
import { IExecution, INotebookLink } from '../types';

export interface IRecordedRequest {
  method: string;
  url: string;
  body: string | null;
  headers: Headers;
}

export type Responder = (
  request: IRecordedRequest
) => Response | Promise<Response>;

/** A REST client whose requests go to `respond` instead of the network. */
export function fakeApi(respond: Responder): {
  api: RemoteNotebookApi;
  requests: IRecordedRequest[];
} {
  const requests: IRecordedRequest[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const recorded: IRecordedRequest = {
      method: request.method,
      url: request.url,
      body: request.body ? await request.text() : null,
      headers: request.headers
    };
    requests.push(recorded);
    return respond(recorded);
  };
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    appUrl: 'http://localhost:8888/lab-base/lab',
    wsUrl: 'ws://localhost:8888/lab-base/',
    token: '',
    appendToken: false,
    fetch: fetchImpl as typeof fetch
  });
  return { api: new RemoteNotebookApi({ serverSettings }), requests };
}

export function json(
  body: unknown,
  status = 200,
  headers: { [key: string]: string } = {}
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers }
  });
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** The path of a recorded request after the extension's namespace. */
export function route(request: IRecordedRequest): string {
  const url = new URL(request.url);
  return url.pathname.replace('/lab-base/notebook-remote/', '');
}

export const NB_ID = '0123456789abcdef01234567';
export const OTHER_NB_ID = 'abcdefabcdefabcdefabcdef';

export function execution(
  id: string,
  status: IExecution['status'],
  extra: Partial<IExecution> = {}
): IExecution {
  return {
    id,
    notebookId: NB_ID,
    status,
    queuedAt: '2026-11-22T05:00:00.000Z',
    startedAt: status === 'queued' ? null : '2026-11-22T05:00:01.000Z',
    finishedAt: ['completed', 'errored', 'timeout', 'canceled'].includes(status)
      ? '2026-11-22T05:00:31.000Z'
      : null,
    source: { type: 'user', id: null },
    errors: [],
    inputs: [],
    outputs: [],
    ...extra
  };
}

/** A notebook "open in JupyterLab", in memory. */
export class FakeNotebook implements INotebookHandle {
  constructor(path: string, link: INotebookLink | null = null) {
    this.path = path;
    this._link = link;
  }

  path: string;
  dirty = false;
  lastModified: string | null = '2026-11-22T04:00:00.000Z';
  size: number | null = 2048;
  isDisposed = false;
  saves = 0;

  get changed(): ISignal<INotebookHandle, void> {
    return this._changed;
  }

  getLink(): INotebookLink | null {
    return this._link;
  }

  setLink(link: INotebookLink | null): void {
    this._link = link;
    this._changed.emit();
  }

  async save(): Promise<void> {
    this.saves++;
    this.dirty = false;
    this.lastModified = new Date(
      Date.parse(this.lastModified ?? '2026-01-01T00:00:00Z') + 60000
    ).toISOString();
    this._changed.emit();
  }

  edit(): void {
    this.dirty = true;
    this._changed.emit();
  }

  private _link: INotebookLink | null;
  private _changed = new Signal<INotebookHandle, void>(this);
}
