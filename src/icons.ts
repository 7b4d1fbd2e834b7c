import { LabIcon } from '@jupyterlab/ui-components';

import remoteSvg from '../style/icons/notebook-remote.svg';
import pushAndRunSvg from '../style/icons/push-and-run.svg';

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
