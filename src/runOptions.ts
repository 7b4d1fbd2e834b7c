/**
 * Run options in the browser: the Run with options… dialog's form and its
 * checks, what a run sends, what the notebook keeps
 * (`metadata.notebook_remote.lastRunOptions`) and the options a past run
 * had. Pure functions only, tested as they are; the server checks the same
 * fields again and names them the same way.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { contextProblem } from './schedule';
import { IExecuteBody, IExecution, IRunOptions } from './types';

/** The query times offered besides now and a date: so long before the run. */
export const AGO = [3600000, 86400000, 604800000];

/** Email addresses the server takes. */
const EMAIL_PATTERN = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$/;

/** A callback URL as far as the browser checks it (the server checks it all). */
const URL_PATTERN = /^https?:\/\/[^\s/#]+[^\s#]*$/;

/** What the dialog holds, as typed. */
export interface IRunForm {
  /** `now`, `at`, or how long before the run (ms, as text: one of AGO). */
  when: string;
  /** With `at`: a local date and time (`YYYY-MM-DDTHH:MM:SS`). */
  at: string;
  /** The context as JSON text, or ''. */
  context: string;
  email: string;
  callbackUrl: string;
  /** Push the notebook before the run. */
  push: boolean;
}

/** The fields that can be wrong (the server's names). */
export type RunField =
  'relativeTo' | 'templateContext' | 'email' | 'callbackUrl';

/** A time as the value of a `datetime-local` input (the browser's zone). */
export function localInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60000)
    .toISOString()
    .slice(0, 19);
}

/** The form of kept options (none: now, no context); what is malformed is dropped. */
export function runForm(options: IRunOptions = {}, push = false): IRunForm {
  const { ago, email, callbackUrl, templateContext: context } = options;
  const at = Date.parse(options.at ?? '');
  return {
    when: AGO.includes(ago!) ? String(ago) : isNaN(at) ? 'now' : 'at',
    at: isNaN(at) ? '' : localInput(at),
    context:
      context && typeof context === 'object' && Object.keys(context).length
        ? JSON.stringify(context, null, 2)
        : '',
    email: `${email ?? ''}`,
    callbackUrl: `${callbackUrl ?? ''}`,
    push
  };
}

/** What is wrong with the form, by field (empty when it can be sent). */
export function runProblems(
  form: IRunForm,
  trans: TranslationBundle
): Partial<Record<RunField, string>> {
  const problems: Partial<Record<RunField, string>> = {};
  if (form.when === 'at' && isNaN(Date.parse(form.at))) {
    problems.relativeTo = trans.__('Enter a date and time.');
  }
  const context = contextProblem(form.context, trans);
  if (context) {
    problems.templateContext = context;
  }
  // Neither takes a space: one typed around it is shown as a mistake.
  if (form.email && !EMAIL_PATTERN.test(form.email)) {
    problems.email = trans.__('Enter an email address like name@example.com.');
  }
  if (form.callbackUrl && !URL_PATTERN.test(form.callbackUrl)) {
    problems.callbackUrl = trans.__('Enter an http(s) URL, without #.');
  }
  return problems;
}

/** The options of a checked form, as the notebook keeps them. */
export function runOptions(form: IRunForm): IRunOptions {
  const options: IRunOptions = {};
  if (form.when === 'at') {
    options.at = new Date(form.at).toISOString();
  } else if (form.when !== 'now') {
    options.ago = Number(form.when);
  }
  if (form.context.trim()) {
    options.templateContext = JSON.parse(form.context);
  }
  for (const key of ['email', 'callbackUrl'] as const) {
    if (form[key]) {
      options[key] = form[key];
    }
  }
  return options;
}

/** The body of a run (or an export) with these options, sent at `now`. */
export function runBody(options: IRunOptions, now: number): IExecuteBody {
  const { ago, at, ...body } = options;
  const relativeTo = ago ? now - ago : at;
  return relativeTo === undefined ? body : { ...body, relativeTo };
}

/**
 * The options a past run had, with the email and callback URL of `base` (a
 * run does not answer them). Its query time is read as it was most likely
 * chosen: within a minute of its queue time, or of one of AGO before it, it
 * was now or that long before; else that very time.
 */
export function optionsOfRun(
  run: IExecution,
  base: IRunOptions = {}
): IRunOptions {
  const time = Date.parse(run.relativeTo ?? '');
  const before = Date.parse(run.queuedAt ?? '') - time;
  const ago = isNaN(time)
    ? 0
    : [0, ...AGO].find(ms => Math.abs(before - ms) < 60000);
  return {
    ago,
    at: ago === undefined ? run.relativeTo! : undefined,
    templateContext: run.templateContext as IRunOptions['templateContext'],
    email: base.email,
    callbackUrl: base.callbackUrl
  };
}
