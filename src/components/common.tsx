import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { statusLabel } from '../format';
import { errorHint } from '../messages';
import { IShownError } from '../models/errors';

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
    <div
      className="jp-NotebookRemote-error"
      role="alert"
      data-reason={error.reason}
    >
      <span className="jp-NotebookRemote-errorMessage">{error.message}</span>
      {fields.length > 1 && (
        <ul className="jp-NotebookRemote-errorFields">
          {fields.map(([field, problem]) => (
            <li key={field}>
              <code>{field}</code> {problem}
            </li>
          ))}
        </ul>
      )}
      {hint && <span className="jp-NotebookRemote-errorHint">{hint}</span>}
    </div>
  );
}

/** The coloured status badge of a run. */
export function StatusBadge(props: {
  status: string;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <span className="jp-NotebookRemote-statusBadge" data-status={props.status}>
      {statusLabel(props.status, props.trans)}
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
      <header className="jp-NotebookRemote-sectionHeader">
        <h3 id={id} className="jp-NotebookRemote-sectionTitle">
          {props.title}
        </h3>
        {props.actions && (
          <div className="jp-NotebookRemote-sectionActions">
            {props.actions}
          </div>
        )}
      </header>
      {props.children}
    </section>
  );
}
