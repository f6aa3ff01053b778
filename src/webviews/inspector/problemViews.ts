// The inspector's Problems section, host side: the diagnosis's problems about the inspected
// target (src/problems/problemsModel.ts) turned into the protocol's ProblemView — bounded, with
// control characters escaped (oneLine); the webview renders them as text only. Also the channels
// and processes a wait chain names, which the panel then shows (and lets the user inspect).
import type * as vscode from 'vscode';
import type { Problem } from '../../core/diagnose/problem';
import { RULES } from '../../core/diagnose';
import { oneLine } from '../../core/escape';
import type { InspectorTarget } from '../../snapshotSource';
import type { ProblemView } from './protocol';

/** What the panel needs of the problems model. */
export interface TargetProblems {
  forTarget(t: InspectorTarget): Problem[];
  readonly onDidChange: vscode.Event<{ full: boolean }>;
}

/** Problems listed per target at most, and evidence rows per problem. */
export const MAX_TARGET_PROBLEMS = 20;
const MAX_EVIDENCE = 20;
const MAX_CHAIN = 16;

const RULE_TITLES = new Map<string, string>(RULES.map((r) => [r.id, r.title]));

export function toProblemView(p: Problem): ProblemView {
  const t = (s: string, max = 1000) => oneLine(s, max);
  const view: ProblemView = {
    id: t(p.id, 600),
    severity: p.severity,
    rule: RULE_TITLES.get(p.rule) ?? p.rule,
    title: t(p.title, 600),
    explanation: { what: t(p.explanation.what, 2000), why: t(p.explanation.why, 2000), next: t(p.explanation.next, 2000), fix: t(p.explanation.fix, 2000) },
    evidence: p.evidence.slice(0, MAX_EVIDENCE).map((e) => ({ label: t(e.label, 80), text: t(e.text, 600), source: t(e.source, 200) })),
    since: t(p.since, 40),
    actions: p.actions.filter((a) => a.kind === 'remove' || a.kind === 'signal').map((a) => t(a.label, 300)),
  };
  if (p.chain?.length) {
    view.chain = p.chain.slice(0, MAX_CHAIN).map((n) => (n.type === 'process' ? { type: 'process', pid: n.pid, label: t(n.label, 200) } : { type: 'channel', id: n.id, label: t(n.label, 200) }));
  }
  return view;
}

export function problemViews(src: TargetProblems, target: InspectorTarget): { problems: ProblemView[]; channels: string[]; pids: number[] } {
  const list = src.forTarget(target).slice(0, MAX_TARGET_PROBLEMS);
  const channels = new Set<string>();
  const pids = new Set<number>();
  for (const p of list) {
    for (const n of p.chain ?? []) {
      if (n.type === 'process') pids.add(n.pid);
      else channels.add(n.id);
    }
  }
  return { problems: list.map(toProblemView), channels: [...channels], pids: [...pids] };
}
