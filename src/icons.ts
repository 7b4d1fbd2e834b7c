import { LabIcon } from '@jupyterlab/ui-components';

import remoteSvg from '../style/icons/notebook-remote.svg';
import pushAndRunSvg from '../style/icons/push-and-run.svg';
import runOptionsSvg from '../style/icons/run-options.svg';

/** The icon of the Remote Notebooks panel. */
export const remoteNotebookIcon = new LabIcon({
  name: 'jupyter-notebook-remote:remote',
  svgstr: remoteSvg
});

/** The icon of the push-and-run toolbar button. */
export const pushAndRunIcon = new LabIcon({
  name: 'jupyter-notebook-remote:push-and-run',
  svgstr: pushAndRunSvg
});

/** The icon of Run with options… (run, and more to say). */
export const runOptionsIcon = new LabIcon({
  name: 'jupyter-notebook-remote:run-options',
  svgstr: runOptionsSvg
});
