/** @jsx h */
/** @jsxFrag Fragment */
/**
 * What the form dialogs share (Schedule…, Run with options…, Export input
 * data…): a small state object checked as it is typed, a JupyterLab `Dialog`
 * whose accept button sends the form and closes only once the server took
 * it, the labelled field with its problem beside it, and the refusal that
 * names no field of the form.
 */
import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { IShownError, shownError } from '../models/errors';
import { cls, ErrorMessage } from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/** Field -> what is wrong with it. */
export type Problems<K extends string> = Partial<Record<K, string>>;

/**
 * The state of a form dialog, shared by the dialog and its React body;
 * `check` says what is wrong with a form.
 */
export class FormState<F, K extends string = string> {
  constructor(
    form: F,
    trans: TranslationBundle,
    check: (form: F) => Problems<K>
  ) {
    this.form = form;
    this.trans = trans;
    this._check = check;
  }

  readonly trans: TranslationBundle;
  form: F;
  /** The server's last refusal (a field's part is dropped once it is edited). */
  error: IShownError | null = null;
  saving = false;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** What is wrong with the form now (checked as it is typed). */
  get problems(): Problems<K> {
    return this._check(this.form);
  }

  get valid(): boolean {
    return Object.keys(this.problems).length === 0;
  }

  /** The problem to show beside a field: the form's own, else the server's. */
  problem(field: K): string | undefined {
    return this.problems[field] ?? this.error?.fields?.[field];
  }

  setForm(form: F, edited: K[]): void {
    this.form = form;
    if (this.error) {
      const fields = { ...this.error.fields };
      for (const field of edited) {
        delete fields[field];
      }
      this.error = { ...this.error, fields };
    }
    this._changed.emit();
  }

  /** Show a refusal (an error, or one already as shown); null clears it. */
  setError(error: unknown): void {
    this.error = error
      ? {
          fields: {},
          ...(error instanceof Error
            ? shownError(error)
            : (error as IShownError))
        }
      : null;
    this._changed.emit();
  }

  setSaving(saving: boolean): void {
    this.saving = saving;
    this._changed.emit();
  }

  private _check: (form: F) => Problems<K>;
  private _changed = new Signal<this, void>(this);
}

/**
 * A dialog over a {@link FormState}: the accept button is disabled while the
 * form has a problem or is being sent (Enter does not bypass it), sends the
 * form with `save`, and closes only when `save` resolves null.
 */
export class FormDialog<F> extends Dialog<F> {
  constructor(options: FormDialog.IOptions<F>) {
    const { trans } = options.state;
    const buttons = [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: options.accept })
    ];
    super({
      title: options.title,
      body: options.body,
      buttons,
      focusNodeSelector: 'select'
    });
    options.body.addClass('jp-NotebookRemote-formDialog');
    this._state = options.state;
    this._buttonList = buttons;
    this._save = options.save;
    this._state.changed.connect(this._syncAccept, this);
  }

  resolve(index?: number): void {
    const button = this._buttonList[index ?? this._buttonList.length - 1];
    if (!button || !button.accept) {
      super.resolve(index);
      return;
    }
    void this._submit(index);
  }

  protected onAfterAttach(msg: any): void {
    super.onAfterAttach(msg);
    this._syncAccept();
  }

  /** The accept button waits for a valid form and for the send in flight. */
  private _syncAccept(): void {
    const accept = this.node.querySelector<HTMLButtonElement>(
      '.jp-Dialog-footer .jp-mod-accept'
    );
    if (accept) {
      accept.disabled = !this._state.valid || this._state.saving;
    }
  }

  private async _submit(index?: number): Promise<void> {
    const state = this._state;
    if (state.saving || !state.valid) {
      return;
    }
    state.setError(null);
    state.setSaving(true);
    let error: unknown;
    try {
      error = await this._save(state.form);
    } catch (reason) {
      error = reason;
    }
    if (this.isDisposed) {
      return;
    }
    state.setSaving(false);
    if (error) {
      state.setError(error);
      return;
    }
    super.resolve(index);
  }

  private _state: FormState<F>;
  private _buttonList: readonly Dialog.IButton[];
  private _save: (form: F) => Promise<unknown>;
}

export namespace FormDialog {
  export interface IOptions<F> {
    state: FormState<F, any>;
    title: string;
    /** The accept button's label. */
    accept: string;
    /** The body (a ReactWidget rendering the form). */
    body: Widget;
    /** Send the form; resolves null when the server took it, else the refusal. */
    save: (form: F) => Promise<unknown>;
  }
}

/**
 * Render again on every change of the state. Subscribed in a layout effect,
 * right after the first render, so no change made once the dialog shows is
 * missed.
 */
export function useFormState(state: FormState<any, any>): void {
  const [, rerender] = React.useReducer((n: number) => n + 1, 0);
  React.useLayoutEffect(() => {
    const changed = () => rerender();
    state.changed.connect(changed);
    return () => {
      state.changed.disconnect(changed);
    };
  }, [state]);
}

/** A labelled row of the form, with the problem of its field under it. */
export function Field(props: {
  label: string;
  htmlFor?: string;
  problem?: string;
  problemId?: string;
  hint?: React.ReactNode;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className={cls('formField')}>
      {props.htmlFor ? (
        <label htmlFor={props.htmlFor}>{props.label}</label>
      ) : (
        <span className={cls('formFieldLabel')}>{props.label}</span>
      )}
      <div className={cls('formControl')}>
        {props.children}
        {props.hint && !props.problem && (
          <p className={cls('formHint')}>{props.hint}</p>
        )}
        {props.problem && (
          <p className={cls('fieldError')} id={props.problemId} role="alert">
            {props.problem}
          </p>
        )}
      </div>
    </div>
  );
}

/**
 * The ids of a form's controls, and what ties a control to its problem:
 * `check(field)` for its {@link Field}, `aria(field)` for the control.
 */
export function useFieldIds<K extends string>(
  state: FormState<any, K>
): {
  id: (name: string) => string;
  check: (field: K) => { problem?: string; problemId: string };
  aria: (field: K) => {
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  };
} {
  const base = React.useId();
  const id = (name: string) => `${base}-${name}`;
  return {
    id,
    check: field => ({
      problem: state.problem(field),
      problemId: id(`${field}-error`)
    }),
    aria: field => ({
      'aria-invalid': !!state.problem(field),
      'aria-describedby': state.problem(field)
        ? id(`${field}-error`)
        : undefined
    })
  };
}

/** The run context as JSON text (field `templateContext`), checked as typed. */
export function ContextField(props: {
  state: FormState<any, any>;
  hint?: string;
}): JSX.Element {
  const { state, hint } = props;
  const { id, check, aria } = useFieldIds(state);
  return (
    <Field
      label={state.trans.__('Run context (optional JSON)')}
      htmlFor={id('context')}
      hint={hint}
      {...check('templateContext')}
    >
      <textarea
        id={id('context')}
        className={cls('jp-mod-styled code')}
        rows={3}
        spellCheck={false}
        placeholder='{"region": "north"}'
        {...aria('templateContext')}
        value={state.form.context}
        onChange={event =>
          state.setForm({ ...state.form, context: event.target.value }, [
            'templateContext'
          ])
        }
      />
    </Field>
  );
}

/**
 * What it says while the form is sent, and the server's refusal in its
 * words: its message, the fields it names that the form does not show
 * beside their controls, its hint.
 */
export function FormError(props: {
  state: FormState<any, any>;
  /** The fields the form shows beside their controls. */
  shown: string[];
}): JSX.Element {
  const { state, shown } = props;
  const { error, trans } = state;
  const fields = Object.entries(error?.fields ?? {}).filter(
    ([field]) => !shown.includes(field)
  );
  return (
    <>
      {state.saving && (
        <p className={cls('muted')} role="status">
          {trans.__('Sending…')}
        </p>
      )}
      <ErrorMessage
        error={error && { ...error, fields: Object.fromEntries(fields) }}
        trans={trans}
      />
    </>
  );
}
