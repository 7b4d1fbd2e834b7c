/**
 * Test helpers: a scripted `fetch` behind real ServerConnection settings,
 * a scripted server extension, connections, runs, and an in-memory
 * notebook handle.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { RemoteNotebookApi } from '../api';
import { RemoteModel } from '../model';
import { INotebookHandle } from '../notebook';
import {
  Capability,
  IConnection,
  IExecution,
  IFolderCarried,
  INotebookLink,
  IPushWarning,
  IRemoteNotebook,
  ISchedule,
  IUsage
} from '../types';

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
  serverSettings: ServerConnection.ISettings;
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
  return {
    api: new RemoteNotebookApi({ serverSettings }),
    requests,
    serverSettings
  };
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

/** A connection as `GET connections` lists it. */
export function connection(
  id: string,
  kind: string,
  capabilities: Capability[],
  extra: Partial<IConnection> = {}
): IConnection {
  return {
    id,
    kind,
    label: id,
    authConfigured: true,
    needsToken: kind !== 'local',
    capabilities,
    unsupported: {},
    ...extra
  };
}

/** The embedded `local` connection: no token, no input data. */
export const LOCAL = connection(
  'local',
  'local',
  ['list', 'create', 'rename', 'push', 'execute', 'cancel', 'logs', 'usage'],
  {
    label: 'This machine',
    unsupported: { inputExport: 'runs on this machine get no data inputs' }
  }
);

/** A Losant connection without a token yet. */
export const LOSANT = connection(
  'plant-a',
  'losant',
  ['list', 'push', 'execute', 'cancel', 'logs', 'usage', 'inputExport'],
  { label: 'Plant A', authConfigured: false }
);

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

/** The result notebook every run of the fake server leaves. */
export const RESULT_NOTEBOOK = {
  cells: [],
  metadata: {
    kernelspec: { name: 'python3' },
    notebook_remote: { connection: 'local', notebookId: NB_ID }
  },
  nbformat: 4,
  nbformat_minor: 5
};

/** A scripted server extension: runs per notebook, answers per route. */
export class FakeServer {
  constructor() {
    const { api, requests, serverSettings } = fakeApi(request =>
      this._respond(request)
    );
    this.api = api;
    this.requests = requests;
    this.serverSettings = serverSettings;
  }

  readonly api: RemoteNotebookApi;
  /** Settings whose `fetch` goes to this server. */
  readonly serverSettings: ServerConnection.ISettings;
  readonly requests: IRecordedRequest[];
  connections: IConnection[] = [LOCAL, LOSANT];
  defaultConnection = 'local';
  notebooks = new Map<string, IRemoteNotebook>([
    [NB_ID, remoteNotebook(NB_ID, 'sales')],
    [OTHER_NB_ID, remoteNotebook(OTHER_NB_ID, 'other')]
  ]);
  runs = new Map<string, IExecution[]>([
    [NB_ID, []],
    [OTHER_NB_ID, []]
  ]);
  usage: IUsage = { start: 's', end: 'e', totalMinutes: 0, days: [] };
  nextExecutionId = 'aaaaaaaaaaaaaaaaaaaaaa01';
  /** What `GET .../executions/{ex}/open` answers (a signed Civis URL). */
  openUrl = 'https://deployment-301.notebooks.civis.test/auth?token=t1';
  log = '';
  /** What a push answers as the notebook check's warnings. */
  pushWarnings: IPushWarning[] = [];
  /** What a push answers it carried from beside the notebook. */
  pushFolder: IFolderCarried | null = null;
  /** The contents paths taken: a pull there without `overwrite` is refused. */
  files = new Set<string>(['work/sales.ipynb']);
  /** Schedules by notebook id; a PUT answers its body with these times. */
  schedules = new Map<string, ISchedule>();
  /** The next run times a PUT of an active schedule answers. */
  nextRuns: string[] = [
    '2026-11-23T05:50:00.000Z',
    '2026-11-30T05:50:00.000Z',
    '2026-12-07T05:50:00.000Z'
  ];

  /**
   * Answer `response` to the requests whose route ends with `where` (or
   * that `where` accepts) until {@link heal} is called.
   */
  fail(where: string | ((route: string) => boolean), response: Response): void {
    const matches =
      typeof where === 'string'
        ? (path: string) => path.endsWith(where)
        : where;
    this._failure = { matches, response };
  }

  heal(): void {
    this._failure = null;
  }

  /** Set the status of a run of a notebook. */
  setStatus(
    notebookId: string,
    id: string,
    status: IExecution['status']
  ): void {
    const runs = this.runs.get(notebookId)!;
    const index = runs.findIndex(r => r.id === id);
    runs[index] = execution(id, status);
  }

  /** How many times the runs of a notebook were checked. */
  runChecks(notebookId = NB_ID, connection = 'local'): number {
    return this.count(
      'GET',
      `connections/${connection}/notebooks/${notebookId}/executions`
    );
  }

  /** How many requests went to a route (an exact one, or ending with it). */
  count(method: string, path: string): number {
    return this.requests.filter(
      r => r.method === method && route(r).endsWith(path)
    ).length;
  }

  private _respond(request: IRecordedRequest): Response {
    const path = route(request);
    if (this._failure?.matches(path)) {
      return this._failure.response.clone();
    }
    const parts = path.split('/');
    if (path === 'connections') {
      return json({
        default: this.defaultConnection,
        connections: this.connections
      });
    }
    if (parts[3] === undefined && request.method === 'POST') {
      const body = JSON.parse(request.body!);
      return json(remoteNotebook(OTHER_NB_ID, body.name), 201);
    }
    if (parts[3] === undefined) {
      const items = [...this.notebooks.values()].slice(0, 1);
      return json({
        items,
        count: items.length,
        totalCount: items.length,
        page: 0,
        perPage: 50
      });
    }
    const notebookId = parts[3];
    const rest = parts.slice(4).join('/');
    if (rest === 'push') {
      const pushed = this.notebooks.get(notebookId);
      return json({
        ...pushed,
        warnings: this.pushWarnings,
        folder: this.pushFolder
      });
    }
    if (rest === 'pull') {
      const { path, overwrite } = JSON.parse(request.body!);
      if (this.files.has(path) && !overwrite) {
        const message = `${path} already exists`;
        return json({ message, reason: 'exists' }, 409);
      }
      this.files.add(path);
      return json({ path, notebook: this.notebooks.get(notebookId) }, 201);
    }
    if (rest === '' && request.method === 'PATCH') {
      const patched = {
        ...this.notebooks.get(notebookId)!,
        ...JSON.parse(request.body!)
      };
      this.notebooks.set(notebookId, patched);
      return json(patched);
    }
    if (rest === '' && request.method === 'DELETE') {
      this.notebooks.delete(notebookId);
      return json({ success: true });
    }
    if (rest === '') {
      return json(this.notebooks.get(notebookId));
    }
    if (rest === 'usage') {
      return json(this.usage);
    }
    if (rest === 'schedule') {
      return this._schedule(notebookId, request);
    }
    if (rest === 'executions' && request.method === 'POST') {
      // Answered back as local does: the query time (ISO) and the context.
      const { relativeTo, templateContext } = JSON.parse(request.body ?? '{}');
      const id = this.nextExecutionId;
      this.runs.get(notebookId)!.unshift(
        execution(id, 'queued', {
          relativeTo:
            relativeTo === undefined
              ? null
              : new Date(relativeTo).toISOString(),
          templateContext: templateContext ?? null
        })
      );
      // A kind that only counts its runs (4pointx) counts this one.
      const counted = this.notebooks.get(notebookId);
      if (typeof counted?.runCount === 'number') {
        counted.runCount++;
        counted.lastRunAt = '2026-11-22T05:00:00.000Z';
      }
      return json({ executionId: id }, 202);
    }
    if (rest === 'input-export') {
      return json({ jobQueued: true, jobId: 'job-1' }, 202);
    }
    if (rest === 'executions') {
      const limit = Number(new URL(request.url).searchParams.get('limit'));
      const items = this.runs.get(notebookId) ?? [];
      return json({ items: limit ? items.slice(0, limit) : items });
    }
    if (rest.endsWith('/open')) {
      return json({ url: this.openUrl });
    }
    if (rest.endsWith('/cancel')) {
      return json({ success: true });
    }
    if (rest.includes('/files/')) {
      const name = decodeURIComponent(parts[parts.length - 1]);
      return new Response(
        name === 'result.log' ? this.log : JSON.stringify(RESULT_NOTEBOOK)
      );
    }
    return noContent();
  }

  private _schedule(notebookId: string, request: IRecordedRequest): Response {
    if (request.method === 'PUT') {
      const body = JSON.parse(request.body!);
      const active = body.active ?? true;
      const schedule: ISchedule = {
        cron: body.cron,
        timezone: body.timezone ?? 'UTC',
        until: body.until ?? null,
        active,
        nextRunAt: active ? this.nextRuns[0] : null,
        lastRunAt: null,
        nextRuns: active ? this.nextRuns : [],
        templateContext: body.templateContext,
        lastExecutionId: null,
        runCount: 0
      };
      this.schedules.set(notebookId, schedule);
      return json({ schedule });
    }
    if (request.method === 'DELETE') {
      this.schedules.delete(notebookId);
      return json({ success: true });
    }
    return json({ schedule: this.schedules.get(notebookId) ?? null });
  }

  private _failure: {
    matches: (route: string) => boolean;
    response: Response;
  } | null = null;
}

function remoteNotebook(id: string, name: string): IRemoteNotebook {
  return {
    id,
    name,
    description: '',
    updatedAt: '2026-11-22T03:00:00.000Z'
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
  reverts = 0;

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

  async revert(): Promise<void> {
    this.reverts++;
    this.dirty = false;
    this._changed.emit();
  }

  /** The code cells inserted, in order. */
  inserted: string[] = [];

  insertCode(source: string): void {
    this.inserted.push(source);
    this.edit();
  }

  edit(): void {
    this.dirty = true;
    this._changed.emit();
  }

  private _link: INotebookLink | null;
  private _changed = new Signal<INotebookHandle, void>(this);
}

/** A notebook at `path` linked to `notebookId` on `connection`. */
export function linkedNotebook(
  path = 'work/sales.ipynb',
  notebookId = NB_ID,
  connection = 'local'
): FakeNotebook {
  return new FakeNotebook(path, { connection, notebookId });
}

/** A model of the fake server's extension. */
export function modelOf(
  server: FakeServer,
  options: Partial<RemoteModel.IOptions> = {}
): RemoteModel {
  return new RemoteModel({ api: server.api, ...options });
}

/** Let timers up to `ms` fire and promises settle (with fake timers). */
export async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** Let real time pass for answers to arrive (without fake timers). */
export async function settle(ms = 30): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms));
}

/** Type into a React-controlled field as a user does. */
export function type(
  field: HTMLInputElement | HTMLTextAreaElement,
  text: string
): void {
  const proto =
    field instanceof HTMLTextAreaElement
      ? HTMLTextAreaElement.prototype
      : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(field, text);
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Choose an option of a React-controlled select as a user does. */
export function choose(select: HTMLSelectElement, value: string): void {
  Object.getOwnPropertyDescriptor(
    HTMLSelectElement.prototype,
    'value'
  )!.set!.call(select, value);
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

/** Wait (a few seconds at most) until `check` holds. */
export async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) {
    await settle(20);
  }
}
