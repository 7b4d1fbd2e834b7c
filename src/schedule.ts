/**
 * Schedules in the browser: the common choices ("presets") and the cron
 * they stand for, the schedule in words, and the checks of the schedule
 * dialog (times in a time zone are in `timeZones.ts`). Pure functions only (no DOM, no server), so they are
 * tested as they are.
 *
 * The server is the authority on cron (it parses and computes next times
 * with a cron library); the checks here catch typing mistakes early and say
 * which field is wrong, the server's own 400 names the same fields.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { formatDate, isTimeZone, zonedDate, zonedTime } from './timeZones';

// ------------------------------------------------------------------ presets

/** The common choices of the dialog; `custom` is "any other cron". */
export type PresetKind =
  'minutes' | 'hours' | 'daily' | 'weekly' | 'monthly' | 'custom';

/** A schedule as the dialog's common choices describe it. */
export interface IPreset {
  kind: PresetKind;
  /** `minutes`, `hours`: the step (a divisor of 60, of 24). */
  every: number;
  /** Minute of the hour (every kind but `minutes`). */
  minute: number;
  /** Hour of the day (`daily`, `weekly`, `monthly`). */
  hour: number;
  /** `weekly`: days of the week, 0 = Sunday .. 6 = Saturday, sorted. */
  days: number[];
  /** `monthly`: day of the month, 1..31. */
  dayOfMonth: number;
}

/** "Every N minutes" steps that divide the hour evenly (so cron keeps them). */
export const MINUTE_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
/** "Every N hours" steps that divide the day evenly. */
export const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12];
/** The week as the dialog shows it: Monday first. */
export const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];

/** The choice a new schedule starts from: every Monday at 06:00. */
export const DEFAULT_PRESET: IPreset = {
  kind: 'weekly',
  every: 1,
  minute: 0,
  hour: 6,
  days: [1],
  dayOfMonth: 1
};

/** The cron of a preset (null for `custom`, whose cron is typed). */
export function presetToCron(preset: IPreset): string | null {
  const m = preset.minute;
  const h = preset.hour;
  switch (preset.kind) {
    case 'minutes':
      return preset.every === 1 ? '* * * * *' : `*/${preset.every} * * * *`;
    case 'hours':
      return preset.every === 1
        ? `${m} * * * *`
        : `${m} */${preset.every} * * *`;
    case 'daily':
      return `${m} ${h} * * *`;
    case 'weekly':
      return `${m} ${h} * * ${[...new Set(preset.days)].sort((a, b) => a - b).join(',')}`;
    case 'monthly':
      return `${m} ${h} ${preset.dayOfMonth} * *`;
    default:
      return null;
  }
}

/**
 * The preset a cron is, when one describes it exactly (else null: the
 * dialog shows "custom" and the panel says "cron `...`").
 */
export function cronToPreset(cron: string): IPreset | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    return null;
  }
  const [min, hour, dom, month, dow] = fields;
  if (month !== '*') {
    return null;
  }
  const base = { ...DEFAULT_PRESET, days: [] as number[] };
  // Every N minutes.
  if (hour === '*' && dom === '*' && dow === '*') {
    const step = min === '*' ? 1 : stepOf(min);
    if (step !== null && MINUTE_STEPS.includes(step)) {
      return { ...base, kind: 'minutes', every: step, minute: 0 };
    }
  }
  const minute = numberIn(min, 0, 59);
  if (minute === null || dom === '' || dow === '') {
    return null;
  }
  // Every N hours, at a minute.
  if (dom === '*' && dow === '*') {
    const step = hour === '*' ? 1 : stepOf(hour);
    if (step !== null && HOUR_STEPS.includes(step)) {
      return { ...base, kind: 'hours', every: step, minute };
    }
  }
  const h = numberIn(hour, 0, 23);
  if (h === null) {
    return null;
  }
  if (dom === '*' && dow === '*') {
    return { ...base, kind: 'daily', minute, hour: h };
  }
  if (dom === '*') {
    const days = weekdaysOf(dow);
    if (days === null) {
      return null;
    }
    if (days.length === 7) {
      return { ...base, kind: 'daily', minute, hour: h };
    }
    return { ...base, kind: 'weekly', minute, hour: h, days };
  }
  if (dow === '*') {
    const day = numberIn(dom, 1, 31);
    if (day !== null) {
      return { ...base, kind: 'monthly', minute, hour: h, dayOfMonth: day };
    }
  }
  return null;
}

/** The step of `*\/N`, or null. */
function stepOf(field: string): number | null {
  const match = /^\*\/(\d{1,2})$/.exec(field);
  return match ? Number(match[1]) : null;
}

/** A plain number in [min, max], or null. */
function numberIn(field: string, min: number, max: number): number | null {
  if (!/^\d{1,2}$/.test(field)) {
    return null;
  }
  const value = Number(field);
  return value >= min && value <= max ? value : null;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The days (0..6, sorted, no repeats) of a day-of-week field, or null. */
function weekdaysOf(field: string): number[] | null {
  const days = new Set<number>();
  const day = (text: string): number | null => {
    const name = DAY_NAMES.indexOf(text.toLowerCase());
    if (name >= 0) {
      return name;
    }
    const value = numberIn(text, 0, 7);
    return value === null ? null : value % 7;
  };
  for (const part of field.split(',')) {
    const range = /^([a-z0-9]+)-([a-z0-9]+)$/i.exec(part);
    if (range) {
      const from = day(range[1]);
      const to = range[2] === '7' ? 7 : day(range[2]);
      if (from === null || to === null || to < from) {
        return null;
      }
      for (let d = from; d <= to; d++) {
        days.add(d % 7);
      }
    } else {
      const value = day(part);
      if (value === null) {
        return null;
      }
      days.add(value);
    }
  }
  return [...days].sort((a, b) => a - b);
}

// ------------------------------------------------------------------ cron check

/** The range and names of each of the five cron fields. */
const CRON_FIELDS: { min: number; max: number; names?: string[] }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  {
    min: 1,
    max: 12,
    names: [
      'jan',
      'feb',
      'mar',
      'apr',
      'may',
      'jun',
      'jul',
      'aug',
      'sep',
      'oct',
      'nov',
      'dec'
    ]
  },
  { min: 0, max: 7, names: DAY_NAMES }
];

/**
 * What is wrong with a typed cron (null when it looks right): five fields
 * of `*`, numbers, ranges `a-b`, steps `/n` and lists `a,b`, each in its
 * range. The server still has the last word.
 */
export function cronProblem(
  cron: string,
  trans: TranslationBundle
): string | null {
  const text = cron.trim();
  if (!text) {
    return trans.__('Enter a cron expression, e.g. 50 6 * * 1.');
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return trans.__(
      'A cron has 5 fields (minute hour day month weekday); this one has %1.',
      fields.length
    );
  }
  const labels = [
    trans.__('minute'),
    trans.__('hour'),
    trans.__('day of month'),
    trans.__('month'),
    trans.__('day of week')
  ];
  for (let i = 0; i < 5; i++) {
    if (!cronFieldValid(fields[i], CRON_FIELDS[i])) {
      const { min, max } = CRON_FIELDS[i];
      return trans.__(
        'The %1 field "%2" is not valid: use *, a number %3-%4, a range a-b, a step */n or a list a,b.',
        labels[i],
        fields[i],
        min,
        max
      );
    }
  }
  return null;
}

function cronFieldValid(
  field: string,
  spec: { min: number; max: number; names?: string[] }
): boolean {
  const value = (text: string): number | null => {
    const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
    if (named >= 0) {
      return spec.names === DAY_NAMES ? named : named + 1;
    }
    if (!/^\d{1,2}$/.test(text)) {
      return null;
    }
    const number = Number(text);
    return number >= spec.min && number <= spec.max ? number : null;
  };
  return field.split(',').every(part => {
    const match = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!match) {
      return false;
    }
    const [, range, step] = match;
    if (step !== undefined && Number(step) < 1) {
      return false;
    }
    if (range === '*') {
      return true;
    }
    const bounds = range.split('-');
    if (bounds.length > 2) {
      return false;
    }
    const values = bounds.map(value);
    if (values.some(v => v === null)) {
      return false;
    }
    return (
      values.length === 1 || (values[0] as number) <= (values[1] as number)
    );
  });
}

// ------------------------------------------------------------------ words

/** HH:MM, 24 h, as cron means it. */
export function clock(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** The name of a day of the week (0 = Sunday). */
export function dayName(day: number, trans: TranslationBundle): string {
  return [
    trans.__('Sunday'),
    trans.__('Monday'),
    trans.__('Tuesday'),
    trans.__('Wednesday'),
    trans.__('Thursday'),
    trans.__('Friday'),
    trans.__('Saturday')
  ][day % 7];
}

/** "Monday", "Monday and Friday", "Monday, Wednesday and Friday". */
function dayList(days: number[], trans: TranslationBundle): string {
  const names = WEEK_ORDER.filter(d => days.includes(d)).map(d =>
    dayName(d, trans)
  );
  if (names.length <= 1) {
    return names.join('');
  }
  return trans.__(
    '%1 and %2',
    names.slice(0, -1).join(', '),
    names[names.length - 1]
  );
}

/** A cron in words: "Every Monday at 06:50"; "cron `*\/7 * * * *`" otherwise. */
export function describeCron(cron: string, trans: TranslationBundle): string {
  const preset = cronToPreset(cron);
  if (!preset) {
    return trans.__('cron `%1`', cron.trim());
  }
  const at = clock(preset.hour, preset.minute);
  switch (preset.kind) {
    case 'minutes':
      return preset.every === 1
        ? trans.__('Every minute')
        : trans.__('Every %1 minutes', preset.every);
    case 'hours': {
      const minute = `:${String(preset.minute).padStart(2, '0')}`;
      return preset.every === 1
        ? trans.__('Every hour at %1', minute)
        : trans.__('Every %1 hours at %2', preset.every, minute);
    }
    case 'daily':
      return trans.__('Every day at %1', at);
    case 'weekly':
      if (preset.days.join(',') === '1,2,3,4,5') {
        return trans.__('Every weekday (Monday to Friday) at %1', at);
      }
      return trans.__('Every %1 at %2', dayList(preset.days, trans), at);
    case 'monthly':
      return trans.__('Every month on day %1 at %2', preset.dayOfMonth, at);
    default:
      return trans.__('cron `%1`', cron.trim());
  }
}

/**
 * A schedule in words: "Every Monday at 06:50, Europe/Berlin, until 13 Dec
 * 2027". The end date is written in the schedule's time zone.
 */
export function describeSchedule(
  schedule: { cron: string; timezone: string; until?: string | null },
  trans: TranslationBundle,
  locale?: string
): string {
  const parts = [describeCron(schedule.cron, trans), schedule.timezone];
  const until = schedule.until
    ? formatDate(schedule.until, schedule.timezone, locale)
    : '';
  if (until) {
    parts.push(trans.__('until %1', until));
  }
  return parts.join(', ');
}

// ------------------------------------------------------------------ the form

/** What the schedule dialog holds, as typed. */
export interface IScheduleForm {
  preset: IPreset;
  /** The cron sent; a preset writes it, typing it picks the preset. */
  cron: string;
  timezone: string;
  /** The last day runs may start on (YYYY-MM-DD, in `timezone`), or ''. */
  until: string;
  /** The run context as JSON text, or ''. */
  context: string;
}

/** The fields of the dialog that can be wrong (the server's names). */
export type ScheduleField =
  'cron' | 'timezone' | 'until' | 'templateContext' | 'days';

export type FieldProblems = Partial<Record<ScheduleField, string>>;

/**
 * What a kind can schedule. 4pointx (`_schedule`: a weekday name or every
 * day, `HH:MM`, an end) takes one weekday or every day, on its own clock
 * (UTC), with an end, no context, and cannot pause.
 */
export interface IScheduleLimits {
  /** The preset kinds offered (all of them by default). */
  kinds: PresetKind[];
  /** At most this many days for `weekly`. */
  maxDays: number;
  /** The one time zone allowed, or null for any. */
  zone: string | null;
  /** Whether an end date is required. */
  needsUntil: boolean;
  /** Whether scheduled runs take a context. */
  takesContext: boolean;
  /** Whether the schedule can be paused (else only removed). */
  canPause: boolean;
}

export const ALL_KINDS: PresetKind[] = [
  'minutes',
  'hours',
  'daily',
  'weekly',
  'monthly',
  'custom'
];

/** What the dialog offers for a connection of `kind`. */
export function scheduleLimits(kind: string | undefined): IScheduleLimits {
  if (kind === 'fourpointx') {
    return {
      kinds: ['daily', 'weekly'],
      maxDays: 1,
      zone: 'UTC',
      needsUntil: true,
      takesContext: false,
      canPause: false
    };
  }
  return {
    kinds: ALL_KINDS,
    maxDays: 7,
    zone: null,
    needsUntil: false,
    takesContext: true,
    canPause: true
  };
}

/** Choose a preset kind: its cron is written at once. */
export function choosePreset(
  form: IScheduleForm,
  preset: IPreset
): IScheduleForm {
  const cron = presetToCron(preset);
  return { ...form, preset, cron: cron ?? form.cron };
}

/** Type a cron: the preset that describes it is picked, else `custom`. */
export function typeCron(form: IScheduleForm, cron: string): IScheduleForm {
  const preset = cronToPreset(cron);
  return {
    ...form,
    cron,
    preset: preset ?? { ...form.preset, kind: 'custom' }
  };
}

/** The dialog's starting point: an existing schedule, or a new one. */
export function formFrom(
  schedule: {
    cron: string;
    timezone: string;
    until?: string | null;
    templateContext?: { [key: string]: unknown } | null;
  } | null,
  defaultZone: string
): IScheduleForm {
  if (!schedule) {
    return {
      preset: DEFAULT_PRESET,
      cron: presetToCron(DEFAULT_PRESET) as string,
      timezone: defaultZone,
      until: '',
      context: ''
    };
  }
  const preset = cronToPreset(schedule.cron) ?? {
    ...DEFAULT_PRESET,
    kind: 'custom' as const
  };
  const context = schedule.templateContext;
  return {
    preset,
    cron: schedule.cron,
    timezone: schedule.timezone,
    until: schedule.until ? zonedDate(schedule.until, schedule.timezone) : '',
    context:
      context && Object.keys(context).length > 0
        ? JSON.stringify(context, null, 2)
        : ''
  };
}

/** What is wrong with the run context text (null when it is fine). */
export function contextProblem(
  text: string,
  trans: TranslationBundle
): string | null {
  if (!text.trim()) {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return trans.__(
      'Not JSON: %1',
      error instanceof Error ? error.message : String(error)
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return trans.__('The run context must be a JSON object, like {"key": 1}.');
  }
  return null;
}

/** The instant the end date stands for: the end of that day in the zone. */
export function untilInstant(form: IScheduleForm): number | null {
  return form.until ? zonedTime(form.until, '23:59:59', form.timezone) : null;
}

/**
 * Check the form: field -> what is wrong (empty when it can be sent).
 * `now` is the clock, for "an end date in the past".
 */
export function validateForm(
  form: IScheduleForm,
  trans: TranslationBundle,
  now: number,
  limits: IScheduleLimits = scheduleLimits(undefined)
): FieldProblems {
  const problems: FieldProblems = {};
  if (!limits.kinds.includes(form.preset.kind)) {
    problems.cron = trans.__(
      'This connection can only schedule %1.',
      kindList(limits, trans)
    );
  } else {
    const cron = cronProblem(form.cron, trans);
    if (cron) {
      problems.cron = cron;
    }
  }
  if (form.preset.kind === 'weekly') {
    if (form.preset.days.length === 0) {
      problems.days = trans.__('Choose at least one day.');
    } else if (form.preset.days.length > limits.maxDays) {
      problems.days = trans._n(
        'This connection runs a weekly schedule on %1 day only.',
        'This connection runs a weekly schedule on at most %1 days.',
        limits.maxDays
      );
    }
  }
  if (!isTimeZone(form.timezone)) {
    problems.timezone = trans.__(
      '"%1" is not a time zone; choose one such as Europe/Berlin.',
      form.timezone
    );
  } else if (limits.zone && form.timezone !== limits.zone) {
    problems.timezone = trans.__(
      'This connection runs schedules on its own clock, %1.',
      limits.zone
    );
  }
  if (!form.until && limits.needsUntil) {
    problems.until = trans.__('This connection needs an end date.');
  } else if (form.until) {
    const instant = untilInstant(form);
    if (instant === null) {
      if (!problems.timezone) {
        problems.until = trans.__('Enter a date as YYYY-MM-DD.');
      }
    } else if (instant <= now) {
      problems.until = trans.__('The end date is in the past.');
    }
  }
  const context = contextProblem(form.context, trans);
  if (context) {
    problems.templateContext = context;
  } else if (form.context.trim() && !limits.takesContext) {
    problems.templateContext = trans.__(
      'Runs of this connection take no context.'
    );
  }
  return problems;
}

function kindList(limits: IScheduleLimits, trans: TranslationBundle): string {
  const words: Record<PresetKind, string> = {
    minutes: trans.__('every few minutes'),
    hours: trans.__('every few hours'),
    daily: trans.__('daily'),
    weekly: trans.__('weekly'),
    monthly: trans.__('monthly'),
    custom: trans.__('a custom cron')
  };
  const names = limits.kinds.map(kind => words[kind]);
  return names.length <= 1
    ? names.join('')
    : trans.__(
        '%1 or %2',
        names.slice(0, -1).join(', '),
        names[names.length - 1]
      );
}

/** The PUT body of a checked form (keeps `active` as the caller says). */
export function bodyFrom(
  form: IScheduleForm,
  active: boolean
): {
  cron: string;
  timezone: string;
  active: boolean;
  until?: string;
  templateContext?: { [key: string]: unknown };
} {
  const body: ReturnType<typeof bodyFrom> = {
    cron: form.cron.trim().split(/\s+/).join(' '),
    timezone: form.timezone,
    active
  };
  const until = untilInstant(form);
  if (until !== null) {
    body.until = new Date(until).toISOString();
  }
  if (form.context.trim()) {
    body.templateContext = JSON.parse(form.context);
  }
  return body;
}
