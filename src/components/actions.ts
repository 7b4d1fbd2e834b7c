import { IExecution, IExecutionOutput } from '../types';

/**
 * What the panel's buttons do: commands (so that the palette, the toolbar
 * and the panel share one behaviour, confirmations included) and opening
 * run outputs.
 */
export interface IPanelActions {
  execute(command: string): void;
  isEnabled(command: string): boolean;
  openOutput(execution: IExecution, output: IExecutionOutput): void;
}
