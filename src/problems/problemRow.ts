// How a problem's row reads in the Problems view, without vscode (unit-tested): what is wrong
// first (its trouble, core/diagnose/troubles.ts), then what it is about. A side bar of normal
// width (~300 px) shows ~40 characters of a label: a label that started with the object
// (`SysV shared memory shmid 68 key 0x…`) was cut before it said what is wrong. The object and
// since when go in the description; the whole title stays in the tooltip (problemText.ts) and
// the accessible label. Every piece goes through plain() (control characters escaped, bounded):
// the subject and the title carry other users' names and paths.

import { type Problem } from '../core/diagnose/problem';
import { shortText } from '../core/text';

export interface ProblemRow {
  /** The trouble: `attached by nobody, creator gone`. */
  label: string;
  /** The subject and when it was first seen: `SysV shared memory shmid 68 key 0x… · since 16:58:01`. */
  description: string;
  /** For screen readers: severity, trouble and the whole title. */
  accessible: string;
}

/** `16:58:01`, or '' when `since` is no time. A fixed time, not a running duration, so an unchanged problem's row stays as it is. */
export function sinceTime(p: Pick<Problem, 'since'>): string {
  const t = Date.parse(p.since);
  return Number.isFinite(t) ? new Date(t).toLocaleTimeString('en-GB') : '';
}

export function problemRow(p: Pick<Problem, 'severity' | 'trouble' | 'subject' | 'title' | 'since'>): ProblemRow {
  const at = sinceTime(p);
  const subject = shortText(p.subject, 200);
  return {
    label: shortText(p.trouble, 120),
    description: [subject, at && `since ${at}`].filter(Boolean).join(' · '),
    accessible: `${p.severity}: ${shortText(p.trouble, 120)} — ${shortText(p.title, 300)}`,
  };
}
