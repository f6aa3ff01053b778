// The words under the depth chart: for each series its latest value, its limit when it has one, and
// the highest value the chart saw; then how many samples over how long, and how the lines are scaled. Pure (no DOM) so the wording is tested apart from the drawing.
import { formatSample, plural } from '../src/core/text';

/**
 * `bytes: 4 KiB of 64 KiB (max 4 KiB)`. The maximum is the highest sample, not the chart's scale:
 * a series that stayed at 0 says `(max 0 B)`, not the 1 that only keeps the scale from being zero.
 */
export function seriesLegend(name: string, values: readonly number[], limit: number | undefined): { text: string; shown: string; of: string } {
  const last = values.length ? values[values.length - 1] : 0;
  const highest = values.length ? Math.max(...values) : 0;
  const shown = formatSample(name, last);
  const of = limit !== undefined ? ` of ${formatSample(name, limit)}` : '';
  return { text: `${name}: ${shown}${of} (max ${formatSample(name, highest)})`, shown, of };
}

/** `5 samples over 2 s (each series scaled to its own maximum)`; the first scan is `1 sample`. */
export function chartFootnote(samples: number, seconds: number, scaledToLimit: boolean): string {
  const scale = scaledToLimit ? 'each series scaled to its limit where one is known, else to its own maximum' : 'each series scaled to its own maximum';
  return `${plural(samples, 'sample')} over ${seconds} s (${scale})`;
}
