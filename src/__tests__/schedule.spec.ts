/**
 * The pure side of schedules: presets and the cron they write, the cron a
 * preset reads back, the words, time zones and the dialog's checks. The
 * dates used are far from any change of offset, so the tests hold in every
 * time zone the machine is in and on either side of a DST change.
 */
import { nullTranslator } from '@jupyterlab/translation';

import {
  bodyFrom,
  choosePreset,
  contextProblem,
  cronProblem,
  cronToPreset,
  DEFAULT_PRESET,
  describeCron,
  describeSchedule,
  formFrom,
  IPreset,
  IScheduleForm,
  presetToCron,
  scheduleLimits,
  typeCron,
  validateForm
} from '../schedule';
import { isTimeZone, timeZones, zonedDate, zonedTime } from '../timeZones';

const trans = nullTranslator.load('jupyter_notebook_remote');
/** 22 Nov 2026, 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 22, 12);

function preset(patch: Partial<IPreset>): IPreset {
  return { ...DEFAULT_PRESET, ...patch };
}

function form(patch: Partial<IScheduleForm> = {}): IScheduleForm {
  return { ...formFrom(null, 'Europe/Berlin'), ...patch };
}

describe('presets and cron', () => {
  const cases: [IPreset, string][] = [
    [preset({ kind: 'minutes', every: 1 }), '* * * * *'],
    [preset({ kind: 'minutes', every: 15 }), '*/15 * * * *'],
    [preset({ kind: 'hours', every: 1, minute: 5 }), '5 * * * *'],
    [preset({ kind: 'hours', every: 6, minute: 30 }), '30 */6 * * *'],
    [preset({ kind: 'daily', hour: 6, minute: 50 }), '50 6 * * *'],
    [preset({ kind: 'weekly', hour: 6, minute: 50, days: [1] }), '50 6 * * 1'],
    [
      preset({ kind: 'weekly', hour: 18, minute: 0, days: [5, 1, 3] }),
      '0 18 * * 1,3,5'
    ],
    [
      preset({ kind: 'monthly', hour: 3, minute: 15, dayOfMonth: 31 }),
      '15 3 31 * *'
    ]
  ];

  it.each(cases)('writes the cron of %j', (p, cron) => {
    expect(presetToCron(p)).toBe(cron);
  });

  it.each(cases)('reads the preset back from its cron', (p, cron) => {
    const back = cronToPreset(cron)!;
    expect(back.kind).toBe(p.kind);
    expect(presetToCron(back)).toBe(cron);
  });

  it('has no cron of its own for custom', () => {
    expect(presetToCron(preset({ kind: 'custom' }))).toBeNull();
  });

  it('reads the spellings cron allows for a preset', () => {
    expect(cronToPreset('  50   6 * *   MON ')).toMatchObject({
      kind: 'weekly',
      hour: 6,
      minute: 50,
      days: [1]
    });
    expect(cronToPreset('0 9 * * 1-5')!.days).toEqual([1, 2, 3, 4, 5]);
    // 7 is Sunday too.
    expect(cronToPreset('0 9 * * 7')!.days).toEqual([0]);
    expect(cronToPreset('0 9 * * 5-7')!.days).toEqual([0, 5, 6]);
    // Every day of the week is daily.
    expect(cronToPreset('0 9 * * 0-6')!.kind).toBe('daily');
    expect(cronToPreset('0 9 * * *')!.kind).toBe('daily');
  });

  it.each([
    '*/7 * * * *', // 7 does not divide the hour: not "every 7 minutes"
    '0 */5 * * *',
    '0 6 1 1 *',
    '0 6 1 * 1',
    '0 6-8 * * *',
    '0,30 6 * * *',
    '60 6 * * *',
    '0 24 * * *',
    '0 6 32 * *',
    '0 6 * *',
    ''
  ])('finds no preset for "%s"', cron => {
    expect(cronToPreset(cron)).toBeNull();
  });

  it('keeps the dialog in step: a preset writes the cron, a cron picks the preset', () => {
    const start = form();
    const daily = choosePreset(start, preset({ kind: 'daily', hour: 7 }));
    expect(daily.cron).toBe('0 7 * * *');

    const typed = typeCron(daily, '50 6 * * 1');
    expect(typed.preset).toMatchObject({ kind: 'weekly', days: [1] });
    const custom = typeCron(typed, '0 6 1 1 *');
    expect(custom.preset.kind).toBe('custom');
    expect(custom.cron).toBe('0 6 1 1 *');
    // Choosing custom keeps the typed cron.
    expect(choosePreset(custom, custom.preset).cron).toBe('0 6 1 1 *');
  });
});

describe('the schedule in words', () => {
  it.each([
    ['* * * * *', 'Every minute'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['5 * * * *', 'Every hour at :05'],
    ['0 */2 * * *', 'Every 2 hours at :00'],
    ['50 6 * * *', 'Every day at 06:50'],
    ['50 6 * * 1', 'Every Monday at 06:50'],
    ['0 18 * * 5,1', 'Every Monday and Friday at 18:00'],
    ['0 18 * * 0,3,1', 'Every Monday, Wednesday and Sunday at 18:00'],
    ['0 9 * * 1-5', 'Every weekday (Monday to Friday) at 09:00'],
    ['15 3 1 * *', 'Every month on day 1 at 03:15'],
    ['0 6 1 1 *', 'cron `0 6 1 1 *`'],
    ['*/7 * * * *', 'cron `*/7 * * * *`']
  ])('%s reads "%s"', (cron, words) => {
    expect(describeCron(cron, trans)).toBe(words);
  });

  it('says the time zone and the end date, in that zone', () => {
    expect(
      describeSchedule(
        {
          cron: '50 6 * * 1',
          timezone: 'Europe/Berlin',
          // The end of 13 Dec 2027 in Berlin (UTC+1 in winter).
          until: '2027-12-13T22:59:59.000Z'
        },
        trans,
        'en-GB'
      )
    ).toBe('Every Monday at 06:50, Europe/Berlin, until 13 Dec 2027');
    expect(
      describeSchedule(
        { cron: '0 6 1 1 *', timezone: 'UTC', until: null },
        trans,
        'en-GB'
      )
    ).toBe('cron `0 6 1 1 *`, UTC');
  });
});

describe('time zones', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('lists UTC and the zones asked for, sorted', () => {
    const zones = timeZones(['Europe/Berlin']);
    expect(zones).toContain('UTC');
    expect(zones).toContain('Europe/Berlin');
    expect([...zones].sort((a, b) => a.localeCompare(b))).toEqual(zones);
  });

  it('turns a wall time in a zone into an instant, and back', () => {
    expect(zonedTime('2027-12-13', '23:59:59', 'Europe/Berlin')).toBe(
      Date.UTC(2027, 11, 13, 22, 59, 59)
    );
    // A zone without DST, half an hour off.
    expect(zonedTime('2027-07-01', '06:00', 'Asia/Kolkata')).toBe(
      Date.UTC(2027, 6, 1, 0, 30)
    );
    expect(zonedTime('2027-07-01', '06:00', 'UTC')).toBe(
      Date.UTC(2027, 6, 1, 6)
    );
    expect(zonedTime('2027-02-30', '06:00', 'UTC')).toBeNull();
    expect(zonedTime('2027-02-01', '06:00', 'Mars/Olympus')).toBeNull();
    expect(zonedDate('2027-12-13T22:59:59.000Z', 'Europe/Berlin')).toBe(
      '2027-12-13'
    );
    expect(zonedDate('2027-12-13T23:30:00.000Z', 'Europe/Berlin')).toBe(
      '2027-12-14'
    );
  });
});

describe('the dialog checks', () => {
  it('passes the form a new schedule starts with', () => {
    const start = form();
    expect(start.cron).toBe('0 6 * * 1');
    expect(start.timezone).toBe('Europe/Berlin');
    expect(validateForm(start, trans, NOW)).toEqual({});
  });

  it.each([
    ['', /Enter a cron/],
    ['0 6 * *', /5 fields .* this one has 4/],
    ['61 6 * * *', /minute field "61"/],
    ['0 6 * 13 *', /month field "13"/],
    ['0 6 * * 8', /day of week field "8"/],
    ['0 6-2 * * *', /hour field "6-2"/],
    ['x 6 * * *', /minute field "x"/]
  ])('names what is wrong with the cron "%s"', (cron, message) => {
    expect(cronProblem(cron, trans)).toMatch(message);
    expect(validateForm(typeCron(form(), cron), trans, NOW).cron).toMatch(
      message
    );
  });

  it.each(['0 6 1 1 *', '*/5 1-5 * jan-mar mon-fri', '0 0 1,15 * *'])(
    'accepts the cron "%s"',
    cron => {
      expect(cronProblem(cron, trans)).toBeNull();
    }
  );

  it('checks the run context as JSON object', () => {
    expect(contextProblem('', trans)).toBeNull();
    expect(contextProblem('{"region": "north"}', trans)).toBeNull();
    expect(contextProblem('{"region": ', trans)).toMatch(/^Not JSON/);
    expect(contextProblem('[1, 2]', trans)).toMatch(/JSON object/);
    expect(contextProblem('42', trans)).toMatch(/JSON object/);
    expect(
      validateForm(form({ context: '{oops}' }), trans, NOW).templateContext
    ).toMatch(/^Not JSON/);
  });

  it('refuses an end date in the past, an unknown zone, a week without days', () => {
    expect(validateForm(form({ until: '2026-11-21' }), trans, NOW).until).toBe(
      'The end date is in the past.'
    );
    expect(validateForm(form({ until: '2027-12-13' }), trans, NOW)).toEqual({});
    expect(
      validateForm(form({ timezone: 'Mars/Olympus' }), trans, NOW).timezone
    ).toMatch(/not a time zone/);
    const noDays = choosePreset(form(), preset({ kind: 'weekly', days: [] }));
    expect(validateForm(noDays, trans, NOW).days).toBe(
      'Choose at least one day.'
    );
  });

  it('offers 4pointx daily, or weekly on one day only', () => {
    const limits = scheduleLimits('fourpointx');
    expect(limits.kinds).toEqual(['daily', 'weekly']);
    expect(scheduleLimits('local').kinds).toContain('custom');
    const hourly = choosePreset(form(), preset({ kind: 'hours', every: 2 }));
    expect(validateForm(hourly, trans, NOW, limits).cron).toBe(
      'This connection can only schedule daily or weekly.'
    );
    const twoDays = choosePreset(form(), preset({ days: [1, 3] }));
    expect(validateForm(twoDays, trans, NOW, limits).days).toMatch(
      /on 1 day only/
    );
    // Its own clock, an end, no context.
    const berlin = validateForm(form(), trans, NOW, limits);
    expect(berlin.timezone).toBe(
      'This connection runs schedules on its own clock, UTC.'
    );
    expect(berlin.until).toBe('This connection needs an end date.');
    const utc = form({ timezone: 'UTC', until: '2027-12-13' });
    expect(validateForm(utc, trans, NOW, limits)).toEqual({});
    expect(
      validateForm({ ...utc, context: '{"a": 1}' }, trans, NOW, limits)
        .templateContext
    ).toBe('Runs of this connection take no context.');
    expect(limits.canPause).toBe(false);
  });

  it('sends the cron tidied, the end of the last day and the context', () => {
    const body = bodyFrom(
      typeCron(
        form({
          until: '2027-12-13',
          context: '{"region": "north"}'
        }),
        ' 50  6 * * 1 '
      ),
      true
    );
    expect(body).toEqual({
      cron: '50 6 * * 1',
      timezone: 'Europe/Berlin',
      active: true,
      until: '2027-12-13T22:59:59.000Z',
      templateContext: { region: 'north' }
    });
    expect(bodyFrom(form(), false)).toEqual({
      cron: '0 6 * * 1',
      timezone: 'Europe/Berlin',
      active: false
    });
  });

  it('opens an existing schedule as it was saved', () => {
    const existing = formFrom(
      {
        cron: '0 6 1 1 *',
        timezone: 'Asia/Kolkata',
        until: '2027-12-13T18:29:59.000Z',
        templateContext: { a: 1 }
      },
      'Europe/Berlin'
    );
    expect(existing.preset.kind).toBe('custom');
    expect(existing.timezone).toBe('Asia/Kolkata');
    expect(existing.until).toBe('2027-12-13');
    expect(JSON.parse(existing.context)).toEqual({ a: 1 });
    expect(bodyFrom(existing, true).until).toBe('2027-12-13T18:29:59.000Z');
  });
});
