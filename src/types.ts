/**
 * The JSON models of the server extension's REST API (camelCase on the wire).
 *
 * They mirror `jupyter_notebook_remote/models.py`; optional fields are the ones
 * the server may leave out or set to null.
 */

/** What a connection can do (DESIGN.md, "Remote services"). */
export type Capability =
  | 'list'
  | 'create'
  | 'rename'
  | 'delete'
  | 'push'
  | 'execute'
  | 'cancel'
  | 'logs'
  | 'usage'
  | 'inputExport'
  | 'schedule'
  | 'pull'
  | 'open';

/** Losant's execution statuses; other kinds map onto these. */
export type ExecutionStatus =
  | 'queued'
  | 'inProgress'
  | 'completed'
  | 'errored'
  | 'timeout'
  | 'canceling'
  | 'canceled';

/** Statuses after which a run never changes again. */
const FINISHED_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'completed',
  'errored',
  'timeout',
  'canceled'
]);

/** Statuses of a run that is still going (polling is quick meanwhile). */
const ACTIVE_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'queued',
  'inProgress',
  'canceling'
]);

export function isActiveStatus(status: string): boolean {
  return ACTIVE_STATUSES.has(status as ExecutionStatus);
}

export function isFinishedStatus(status: string): boolean {
  return FINISHED_STATUSES.has(status as ExecutionStatus);
}

export interface IConnection {
  id: string;
  kind: string;
  label: string;
  baseUrl?: string | null;
  applicationId?: string | null;
  authConfigured: boolean;
  capabilities: Capability[];
  /** capability -> why this connection cannot do it. */
  unsupported?: { [capability: string]: string };
  /** Whether the kind needs a token at all (the embedded `local` does not). */
  needsToken: boolean;
  /** Whether a push carries the files beside the notebook (local). */
  carriesFolder?: boolean;
  /** Whether a run or an export may carry `email` and `callbackUrl` (Losant). */
  runNotifications?: boolean;
  /**
   * Whether a run takes a query time and a context (`relativeTo`,
   * `templateContext`: Losant, local); false where the kind refuses them.
   */
  runContext?: boolean;
  /** The notebook settings this kind takes on create and PATCH (Civis's). */
  notebookOptions?: (keyof INotebookOptions)[];
}

export interface IConnectionList {
  default: string | null;
  connections: IConnection[];
}

export interface INotebookStats {
  minutesThisPeriod?: number | null;
  runsThisPeriod?: number | null;
  errorsThisPeriod?: number | null;
}

/**
 * One declared input or output of a remote notebook, as the remote has it
 * (Losant's own object, verbatim: `inputType` or `outputType`, `fileName` or,
 * for a directory output, `directoryName`, and the fields of its type).
 */
export interface INotebookIO {
  inputType?: string;
  outputType?: string;
  fileName?: string;
  directoryName?: string;
  [field: string]: unknown;
}

export interface IRemoteNotebook extends INotebookOptions {
  id: string;
  name: string;
  description: string;
  fileName?: string | null;
  createdAt?: string | null;
  updatedAt?: string | null;
  imageVersion?: string | null;
  stats?: INotebookStats | null;
  inputs?: INotebookIO[];
  outputs?: INotebookIO[];
  /** When the newest run started, and how many there were (kinds that say). */
  lastRunAt?: string | null;
  runCount?: number | null;
  hiddenEnvironmentVariables?: string[] | null;
}

/**
 * A Civis notebook's settings (`notebookOptions` of its connection), on
 * create, PATCH and GET. Environment variables that look like credentials
 * are never answered: only their names, in `hiddenEnvironmentVariables`.
 */
export interface INotebookOptions {
  language?: 'python3' | 'r' | null;
  /** MB. */
  memory?: number | null;
  /** Millicores. */
  cpu?: number | null;
  idleTimeout?: number | null;
  dockerImageName?: string | null;
  dockerImageTag?: string | null;
  /** requirements.txt, as text. */
  requirements?: string | null;
  environmentVariables?: { [name: string]: string } | null;
}

/** Where a pushed notebook departs from nbformat's schema (it was pushed all the same). */
export interface IPushWarning {
  message: string;
  /** Where in the notebook: `metadata.kernelspec`, `cells[2]`; empty for all of it. */
  path: string;
}

/** The answer to a push: the remote notebook, and what the notebook check noticed. */
/** What a push carried from beside the notebook. */
export interface IFolderCarried {
  files: number;
  bytes: number;
  subfolders: boolean;
}

export interface IPushResult extends IRemoteNotebook {
  warnings?: IPushWarning[];
  folder?: IFolderCarried | null;
}

/** The answer to a pull: where the linked copy was saved. */
export interface IPullResult {
  path: string;
  notebook: IRemoteNotebook;
}

export interface INotebookPage {
  items: IRemoteNotebook[];
  count: number;
  totalCount: number;
  page: number;
  perPage: number;
}

export interface IExecutionSource {
  type?: string | null;
  id?: string | null;
}

export interface IExecutionError {
  name: string;
  message: string;
}

export interface IExecutionInput {
  name: string;
  size?: number | null;
  url?: string | null;
}

export interface IExecutionOutput {
  name: string;
  size?: number | null;
  url?: string | null;
  contentType?: string | null;
}

export interface IExecution {
  id: string;
  notebookId: string;
  status: ExecutionStatus;
  queuedAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  source?: IExecutionSource;
  errors?: IExecutionError[];
  inputs?: IExecutionInput[];
  outputs?: IExecutionOutput[];
  /** While in progress, where the run is (kinds that know: local). */
  progress?: IExecutionProgress | null;
  /** When the retention policy removed the run's files (local). */
  filesRemovedAt?: string | null;
  /** What the run was given and allowed, where the kind says (ISO time). */
  relativeTo?: string | null;
  templateContext?: { [key: string]: unknown } | string | null;
  maxAllowedRunMinutes?: number | null;
  /** The kind's own word where `status` would hide it (Civis `sleeping`). */
  remoteState?: string | null;
  /** What the kind says about the run (Civis `stateMessage`). */
  remoteMessage?: string | null;
  /** What the run asked for and used at most (Civis). */
  resources?: IExecutionResources | null;
}

export interface IExecutionResources {
  memoryMb?: number | null;
  cpuMillicores?: number | null;
  maxMemoryMb?: number | null;
  maxCpuMillicores?: number | null;
}

/** A run in progress: code cell `cell` of `total` runs since `startedAt`. */
export interface IExecutionProgress {
  cell: number;
  total: number;
  startedAt: string;
}

export interface IExecutionList {
  items: IExecution[];
}

export interface IExecutionStarted {
  executionId: string;
}

export interface IUsageDay {
  /** YYYY-MM-DD, a UTC day. */
  date: string;
  minutes: number;
  completed: number;
  canceled: number;
  errored: number;
  timeout: number;
}

export interface IUsage {
  start: string;
  end: string;
  totalMinutes: number;
  days: IUsageDay[];
  /** Bytes the connection keeps on this machine (local), else null. */
  storeBytes?: number | null;
}

export interface IJobQueued {
  jobQueued: boolean;
  jobId: string;
}

export interface INotebookCreate extends INotebookOptions {
  name: string;
  description?: string;
  imageVersion?: 'v1' | 'v2' | 'v3' | 'v4';
  /** The whole list, replacing the last (a kind with notebook inputs: Losant). */
  inputs?: INotebookIO[];
  outputs?: INotebookIO[];
}

export interface INotebookPatch extends INotebookOptions {
  name?: string;
  description?: string;
  imageVersion?: 'v1' | 'v2' | 'v3' | 'v4';
}

export interface IExecuteBody {
  /** ms since 1970, an RFC 3339 date-time, or a date. */
  relativeTo?: number | string;
  /** A JSON object, or a string holding one. */
  templateContext?: { [key: string]: unknown } | string;
  /** Where the remote reports the run's end (`runNotifications`). */
  email?: string;
  callbackUrl?: string;
}

export interface IInputExportBody {
  email?: string;
  callbackUrl?: string;
  relativeTo?: number | string;
}

/** A notebook's schedule (DESIGN.md, "Schedules"); times are ISO 8601. */
export interface ISchedule {
  /** Five fields: minute hour day-of-month month day-of-week. */
  cron: string;
  /** The IANA time zone the cron is read in. */
  timezone: string;
  /** No run after this time (null: no end). */
  until: string | null;
  /** False while paused. */
  active: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  /** The cron in words, as the server says it. */
  description?: string | null;
  /** The next few run times (empty when paused or past `until`). */
  nextRuns?: string[];
  /** The run context each scheduled run gets. */
  templateContext?: { [key: string]: unknown } | null;
  /** The run the schedule started last. */
  lastExecutionId?: string | null;
  /** How many runs the schedule started. */
  runCount?: number | null;
}

export interface IScheduleAnswer {
  schedule: ISchedule | null;
}

/** The body of `PUT .../schedule`. */
export interface IScheduleBody {
  cron: string;
  timezone?: string;
  until?: string;
  active?: boolean;
  templateContext?: { [key: string]: unknown };
}

/** The error body every failing call of the REST API answers with. */
export interface IErrorBody {
  message: string;
  reason: string;
  connection?: string;
  remoteStatus?: number;
  fields?: { [field: string]: string };
}

/** The link of a local notebook to a remote one: `metadata.notebook_remote`. */
/**
 * Which files beside the notebook a push carries, for a connection that runs
 * the notebook with them (local): its folder's, with subfolders, or none.
 */
export type FolderMode = 'files' | 'tree' | 'none';

export interface INotebookLink {
  connection: string;
  notebookId: string;
  /** Files beside the notebook to carry with a push (default: `files`). */
  folder?: FolderMode;
  /**
   * The remote's `updatedAt` at the last push or pull: a push over a remote
   * changed since is refused, not silent.
   */
  updatedAt?: string;
  /** The options of the last run with options, for the next one. */
  lastRunOptions?: IRunOptions;
}

/**
 * Run options as the notebook keeps them: the query time (`ago` ms before
 * the run, or `at` a time; now with neither), the context, and where the
 * remote reports the run's end.
 */
export interface IRunOptions {
  ago?: number;
  at?: string;
  templateContext?: { [key: string]: unknown };
  email?: string;
  callbackUrl?: string;
}
