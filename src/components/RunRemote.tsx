/** @jsx h */
/** @jsxFrag Fragment */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { serviceName } from '../format';
import { IExecution } from '../types';
import { cls, ISectionProps, PanelButton } from './common';

// Elements by a local name, as in IOEditor.tsx: smaller in the bundle.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { createElement: h, Fragment } = React;

/**
 * What the kind says of a run beyond its status (Civis): its own words, what
 * it asked for and used at most, and, while it is a live notebook server,
 * Open in the service (a new tab, at a signed URL asked for on each click).
 */
export function RunRemote(
  props: ISectionProps & { execution: IExecution }
): JSX.Element {
  const { model, execution, trans } = props;
  const { remoteMessage, resources: r } = execution;
  const connection = model.linkConnection;
  const note = cls('muted small');
  return (
    <>
      {execution.remoteState === 'sleeping' && (
        <p className={note}>
          {trans.__(
            'Asleep after its idle timeout; still up, and Cancel stops it.'
          )}
        </p>
      )}
      {remoteMessage && <p className={note}>{remoteMessage}</p>}
      {r && (
        <dl className={cls('times')}>
          {peak(trans.__('Memory'), r.maxMemoryMb, r.memoryMb, 'MB', trans)}
          {peak(
            trans.__('CPU'),
            r.maxCpuMillicores,
            r.cpuMillicores,
            'millicores',
            trans
          )}
        </dl>
      )}
      {connection && model.can('open') && execution.status === 'inProgress' && (
        <div className={cls('row')}>
          <PanelButton
            disabled={model.isBusy('open')}
            onClick={() => void model.openRun(execution.id)}
          >
            {trans.__('Open in %1', serviceName(connection))}
          </PanelButton>
        </div>
      )}
    </>
  );
}

/** One resource: the peak against what was asked for, with a meter of it. */
function peak(
  label: string,
  used: number | null | undefined,
  asked: number | null | undefined,
  unit: string,
  trans: TranslationBundle
): JSX.Element | null {
  const [u, a] = [used, asked].map(v =>
    typeof v === 'number' ? Math.round(v).toLocaleString() : ''
  );
  const words =
    u && a
      ? trans.__('peak %1 of %2 %3 asked for', u, a, unit)
      : a
        ? trans.__('%1 %2 asked for', a, unit)
        : u && trans.__('peak %1 %2', u, unit);
  return words ? (
    <>
      <dt>{label}</dt>
      <dd>
        {u && a && <meter max={asked!} value={used!} aria-label={label} />}{' '}
        {words}
      </dd>
    </>
  ) : null;
}
