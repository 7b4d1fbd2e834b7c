/**
 * Times in a time zone, for schedules: which zones the browser knows, a
 * wall-clock time in a zone as an instant, an instant as a date or a run
 * time in a zone. Pure functions over `Intl` (no DOM, no server).
 */

/** A date as "13 Dec 2027", in a time zone ('' if either is not valid). */
export function formatDate(
  iso: string,
  timeZone: string,
  locale?: string
): string {
  const time = Date.parse(iso);
  if (isNaN(time)) {
    return '';
  }
  try {
    return new Intl.DateTimeFormat(locale, {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone
    }).format(time);
  } catch {
    return '';
  }
}

/** A run time in a time zone: "Mon 8 Dec, 06:50 CET". */
export function formatRunTime(
  iso: string,
  timeZone: string,
  locale?: string
): string {
  const time = Date.parse(iso);
  if (isNaN(time)) {
    return '';
  }
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short'
  };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(
      time
    );
  } catch {
    return new Intl.DateTimeFormat(locale, options).format(time);
  }
}

/** Whether the browser knows `zone` as an IANA time zone. */
export function isTimeZone(zone: string): boolean {
  if (!zone.trim()) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The browser's own time zone (UTC when it does not say). */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * The IANA time zones to choose from: the browser's list where it has one
 * (`Intl.supportedValuesOf`), with UTC and any zone given in `include`.
 */
export function timeZones(include: string[] = []): string[] {
  let zones: string[] = [];
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  try {
    zones = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  const all = new Set([...zones, 'UTC', ...include.filter(z => !!z)]);
  return [...all].sort((a, b) => a.localeCompare(b));
}

/** The offset (ms) of `timeZone` from UTC at `time`. */
function zoneOffset(time: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  }).formatToParts(time);
  const get = (type: string) =>
    Number(parts.find(p => p.type === type)?.value ?? 0);
  const wall = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour') % 24,
    get('minute'),
    get('second')
  );
  return wall - Math.floor(time / 1000) * 1000;
}

/**
 * The instant (ms) of a wall time `YYYY-MM-DD` + `HH:MM[:SS]` in
 * `timeZone`, or null when the date or zone is not valid.
 */
export function zonedTime(
  date: string,
  time: string,
  timeZone: string
): number | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!d || !t || !isTimeZone(timeZone)) {
    return null;
  }
  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const wall = Date.UTC(
    year,
    month - 1,
    day,
    Number(t[1]),
    Number(t[2]),
    Number(t[3] ?? 0)
  );
  const check = new Date(wall);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return null;
  }
  // Two passes find the offset on either side of a change of offset.
  let guess = wall - zoneOffset(wall, timeZone);
  guess = wall - zoneOffset(guess, timeZone);
  return guess;
}

/** The date (YYYY-MM-DD) of an instant in `timeZone` ('' if not valid). */
export function zonedDate(iso: string, timeZone: string): string {
  const time = Date.parse(iso);
  if (isNaN(time) || !isTimeZone(timeZone)) {
    return '';
  }
  // Canadian English writes a date as ISO 8601 does: YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit'
  }).format(time);
}
