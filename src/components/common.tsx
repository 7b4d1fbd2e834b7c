/** @jsx h */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, LabIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { statusLabel } from '../format';
import { errorHint } from '../messages';
import { RemoteModel } from '../model';
import { IShownError } from '../models/errors';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h } = React;

/** What every section of the panel renders from. */
export interface ISectionProps {
  model: RemoteModel;
  trans: TranslationBundle;
}

/**
 * The house's class names (`jp-NotebookRemote-*`, STYLE.md): `cls('row
 * grow')` is "jp-NotebookRemote-row jp-NotebookRemote-grow"; a name with a
 * `jp-` of its own (`jp-mod-accept`) is kept as it is. One short call in the
 * bundle where the prefix, spelled out, costs 18 bytes a name.
 */
export const cls = (names: string): string =>
  names.replace(/(^| )(?!jp-)(?=\S)/g, '$1jp-NotebookRemote-');

/** An error in place: the server's message, then what to do. */
export function ErrorMessage(props: {
  error: IShownError | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { error, trans } = props;
  if (!error) {
    return null;
  }
  const hint = errorHint(error.reason, trans);
  const fields = Object.entries(error.fields ?? {});
  return (
    <div className={cls('error')} role="alert" data-reason={error.reason}>
      <span className={cls('errorMessage')}>{error.message}</span>
      {fields.length > 1 && (
        <ul className={cls('errorFields')}>
          {fields.map(([field, problem]) => (
            <li key={field}>
              <code>{field}</code> {problem}
            </li>
          ))}
        </ul>
      )}
      {hint && <span className={cls('errorHint')}>{hint}</span>}
    </div>
  );
}

/** The coloured status badge of a run. */
export function StatusBadge(props: {
  status: string;
  trans: TranslationBundle;
}): JSX.Element {
  const label = statusLabel(props.status, props.trans);
  // Named for screen readers as what it is, not only its word.
  return (
    <span
      className={cls('statusBadge')}
      data-status={props.status}
      role="img"
      aria-label={props.trans.__('Run status: %1', label)}
    >
      {label}
    </span>
  );
}

/** A titled part of the panel. */
export function Section(props: {
  title: string;
  className?: string;
  actions?: React.ReactNode;
  children?: React.ReactNode;
}): JSX.Element {
  const id = React.useId();
  return (
    <section
      className={`jp-NotebookRemote-section ${props.className ?? ''}`.trim()}
      aria-labelledby={id}
    >
      <header className={cls('sectionHeader')}>
        <h3 id={id} className={cls('sectionTitle')}>
          {props.title}
        </h3>
        {props.actions && (
          <div className={cls('sectionActions')}>{props.actions}</div>
        )}
      </header>
      {props.children}
    </section>
  );
}

/** A button of the panel (small; `minimal` ones are borderless). */
export function PanelButton(props: {
  children: React.ReactNode;
  onClick?: () => void;
  /** 'submit' or 'button' inside a form; none elsewhere. */
  type?: 'submit' | 'button';
  minimal?: boolean;
  disabled?: boolean;
  title?: string;
  /** The accessible name, when the text does not say it. */
  label?: string;
  /** Classes besides `jp-NotebookRemote-button`. */
  className?: string;
}): JSX.Element {
  return (
    <Button
      type={props.type}
      small
      minimal={props.minimal}
      className={
        props.className
          ? `jp-NotebookRemote-button ${props.className}`
          : 'jp-NotebookRemote-button'
      }
      aria-label={props.label}
      title={props.title}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {props.children}
    </Button>
  );
}

/** The icon inside a button. */
export function ButtonIcon(props: { icon: LabIcon }): JSX.Element {
  return <props.icon.react tag="span" className={cls('buttonIcon')} />;
}

/** A minimal button that shows only an icon. */
export function IconButton(props: {
  icon: LabIcon;
  label: string;
  /** The tooltip; the label by default. */
  title?: string;
  disabled?: boolean;
  onClick: () => void;
  className?: string;
}): JSX.Element {
  return (
    <PanelButton
      minimal
      label={props.label}
      title={props.title ?? props.label}
      disabled={props.disabled}
      onClick={props.onClick}
      className={props.className}
    >
      <ButtonIcon icon={props.icon} />
    </PanelButton>
  );
}

/** A text field that takes the rest of its row. */
export function TextField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'password' | 'email';
  placeholder?: string;
  disabled?: boolean;
  invalid?: boolean;
  autoFocus?: boolean;
  autoComplete?: string;
  spellCheck?: boolean;
}): JSX.Element {
  return (
    <input
      className={cls('jp-mod-styled grow')}
      type={props.type}
      aria-label={props.label}
      aria-invalid={props.invalid}
      placeholder={props.placeholder}
      autoComplete={props.autoComplete}
      spellCheck={props.spellCheck}
      autoFocus={props.autoFocus}
      disabled={props.disabled}
      value={props.value}
      onChange={event => props.onChange(event.target.value)}
    />
  );
}
