// How a problem reads in the editor (its row: problemRow.ts): its rule's short name, how long it
// has lasted, the icon of its severity (theme colours), and the tooltip that teaches — what, why, what the kernel does
// next, the usual fix — with the evidence and the safe actions. Problem text carries other users'
// names and paths (escaped for control characters only, core/diagnose/problem.ts), so every piece
// goes through mdEscape into an untrusted MarkdownString, and labels through plain().

import * as vscode from 'vscode';
import { RULES } from '../core/diagnose';
import type { Problem, ProblemAction, RuleId, Severity } from '../core/diagnose/problem';
import { duration } from '../core/diagnose/rule';
import { mdEscape, plain, safeMarkdown } from '../views/nodes/markdown';

const RULE_TITLES = new Map<RuleId, string>(RULES.map((r) => [r.id, r.title]));

export function ruleTitle(rule: RuleId): string {
  return RULE_TITLES.get(rule) ?? rule;
}

export const SEVERITY_TITLES: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Information' };
const SEVERITY_ICON: Record<Severity, [string, string]> = {
  error: ['error', 'problemsErrorIcon.foreground'],
  warning: ['warning', 'problemsWarningIcon.foreground'],
  info: ['info', 'problemsInfoIcon.foreground'],
};

export function severityIcon(s: Severity): vscode.ThemeIcon {
  const [id, color] = SEVERITY_ICON[s];
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}

/** `for 2 min 5 s (since 16:58:01)`: how long the condition has lasted, as of `now`. */
export function lasted(p: Problem, now: number): string {
  const t = Date.parse(p.since);
  if (!Number.isFinite(t)) return '';
  const ms = now - t;
  const at = new Date(t).toLocaleTimeString('en-GB');
  return ms >= 1000 ? `for ${duration(ms)} (since ${at})` : `since ${at}`;
}

export function actionText(a: ProblemAction): string {
  return a.label;
}

/** The teaching tooltip: summary, what / why / next / fix, evidence, actions. Everything escaped. */
export function problemTooltip(p: Problem, now: number): vscode.MarkdownString {
  const md = safeMarkdown();
  const sev = p.severity === 'error' ? 'Error' : p.severity === 'warning' ? 'Warning' : 'Info';
  md.appendMarkdown(`**${mdEscape(sev)} — ${mdEscape(ruleTitle(p.rule))}**${lasted(p, now) ? ` (${mdEscape(lasted(p, now))})` : ''}\n\n`);
  md.appendMarkdown(`${mdEscape(p.title, 600)}\n\n`);
  const e = p.explanation;
  for (const [k, v] of [
    ['What', e.what],
    ['Why', e.why],
    ['Next', e.next],
    ['Fix', e.fix],
  ] as const) {
    if (v) md.appendMarkdown(`**${k}:** ${mdEscape(v, 1200)}\n\n`);
  }
  if (p.evidence.length) {
    md.appendMarkdown(`**Evidence**\n\n`);
    for (const ev of p.evidence.slice(0, 12)) md.appendMarkdown(`- ${mdEscape(ev.label, 80)}: ${mdEscape(ev.text, 400)} _(${mdEscape(ev.source, 160)})_\n`);
    if (p.evidence.length > 12) md.appendMarkdown(`- … and ${p.evidence.length - 12} more\n`);
    md.appendMarkdown('\n');
  }
  const acts = p.actions.filter((a) => a.kind === 'remove' || a.kind === 'signal');
  if (acts.length) {
    md.appendMarkdown(`**Actions** (right-click or the inline buttons)\n\n`);
    for (const a of acts) md.appendMarkdown(`- ${mdEscape(actionText(a), 300)}\n`);
  }
  return md;
}

/** The plain-text form of a problem (accessibility labels, the status bar's tooltip). */
export function problemPlain(p: Problem): string {
  return plain(p.title, 240);
}
