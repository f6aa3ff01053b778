// The map's problem count in words (its status line and that line's tooltip), from the totals
// buildTopology counts: the problems the Problems view lists for the same filter, so a user who
// compares the two finds the same number, and how many of them the map cannot show on a node or
// edge. Its own module: the page imports it without the graph code the worker runs.
import type { TopoGraph } from './types';
import { plural } from '../text';

/**
 * The map's problem count, in the Problems view's terms: every problem it lists, by severity (its
 * badge and the status bar count the errors and warnings only), and how many of them no node or
 * edge carries. '' when there is none.
 */
export function problemsText(t: Pick<TopoGraph['totals'], 'problems' | 'notDrawn'>): string {
  const c = t.problems;
  const total = c.error + c.warning + c.info;
  if (!total) return '';
  const parts = [c.error && plural(c.error, 'error'), c.warning && plural(c.warning, 'warning'), c.info && `${c.info.toLocaleString('en-US')} info`].filter(Boolean);
  const off = t.notDrawn === 0 ? '' : t.notDrawn === total ? `, ${total === 1 ? 'not' : 'none'} on the map` : `, ${t.notDrawn.toLocaleString('en-US')} not on the map`;
  return `${plural(total, 'problem')} (${parts.join(', ')})${off}`;
}

/** What problemsText counts, said in full (the status line's tooltip). */
export function problemsHelp(t: Pick<TopoGraph['totals'], 'problems' | 'notDrawn'>): string {
  const c = t.problems;
  const total = c.error + c.warning + c.info;
  if (!total) return '';
  const lines = ['Problems: those the Problems view lists for this filter, all severities (its badge and the status bar count errors and warnings only). A ring around a node, and a link in the same colour, is its worst problem.'];
  if (t.notDrawn) lines.push(`${t.notDrawn.toLocaleString('en-US')} of them ${t.notDrawn === 1 ? 'is' : 'are'} about nothing drawn here (a process that holds no channel shown, a stale socket file): the Problems view lists ${t.notDrawn === 1 ? 'it' : 'them'}.`);
  return lines.join('\n');
}
