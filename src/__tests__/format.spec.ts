import { nullTranslator } from '@jupyterlab/translation';

import { formatMinutes } from '../format';

const trans = nullTranslator.load('jupyter-notebook-remote');

describe('formatMinutes', () => {
  it('reads whole and tenth minutes', () => {
    expect(formatMinutes(0, trans)).toBe('0 minutes');
    expect(formatMinutes(1, trans)).toBe('1 minute');
    expect(formatMinutes(12.46, trans)).toBe('12.5 minutes');
  });

  it('never says "0 minutes" when something ran', () => {
    // A 2-second local run is 0.033 minutes.
    expect(formatMinutes(2 / 60, trans)).toBe('2 seconds');
    expect(formatMinutes(0.001, trans)).toBe('1 second');
    expect(formatMinutes(0.05, trans)).toBe('0.1 minutes');
  });
});
