// The Problems view: the diagnosis's problems grouped by severity (Errors, Warnings,
// Information), each item leading with what is wrong (its trouble), the object and since when in
// the description (problemRow.ts), and the teaching tooltip (problemText.ts, escaped). Under a
// problem: the channels and processes it is about — a click on any of them (or on the problem)
// reveals the object in its tree and opens the inspector on it (problemActions.ts). contextValue
// `ipc.problem[ removable][ signal]` drives the inline and context actions. Node objects are kept
// by id and updated in place; a refresh re-renders only the problems that changed.

import * as vscode from 'vscode';
import { SEVERITIES, type Problem, type Severity } from '../core/diagnose/problem';
import * as fmt from '../core/format';
import { mdEscape, plain, safeMarkdown } from '../views/nodes/markdown';
import type { ViewModel } from '../views/viewModel';
import { problemTooltip, SEVERITY_TITLES, severityIcon } from './problemText';
import { problemRow } from './problemRow';
import type { ProblemsChange, ProblemsModel } from './problemsModel';
import { plural } from '../core/text';

export class SeverityNode {
  readonly type = 'severity' as const;
  readonly id: string;
  readonly parent = undefined;
  count = 0;
  constructor(readonly severity: Severity) {
    this.id = `severity:${severity}`;
  }
}

export class ProblemNode {
  readonly type = 'problem' as const;
  readonly id: string;
  constructor(
    public problem: Problem,
    public parent: SeverityNode,
  ) {
    this.id = `problem:${problem.id}`;
  }
}

export class ProblemObjectNode {
  readonly type = 'object' as const;
  readonly id: string;
  constructor(
    readonly parent: ProblemNode,
    readonly target: { channelId: string } | { pid: number },
  ) {
    this.id = `${parent.id}/${'channelId' in target ? `ch:${target.channelId}` : `pid:${target.pid}`}`;
  }
}

export type ProblemsTreeNode = SeverityNode | ProblemNode | ProblemObjectNode;

/** What a click on a problem or one of its objects runs (no arguments: it reads the view's selection). */
export const OPEN_PROBLEM_SELECTION_COMMAND = 'ipcInspector.problems.openSelection';
/** Objects listed under a problem at most. */
const MAX_OBJECTS = 12;

export class ProblemsTree implements vscode.TreeDataProvider<ProblemsTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ProblemsTreeNode | ProblemsTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly groups = new Map<Severity, SeverityNode>(SEVERITIES.map((s) => [s, new SeverityNode(s)]));
  private readonly nodes = new Map<string, ProblemNode>();
  private readonly objectNodes = new Map<string, ProblemObjectNode>();
  private readonly disposables: vscode.Disposable[] = [];
  /** What the last change fired (tests): 'all', or the nodes re-rendered — a group by its node id (`severity:error`), a problem by its id. */
  lastFired: 'all' | string[] = [];

  constructor(
    private readonly problems: ProblemsModel,
    private readonly model: ViewModel,
  ) {
    this.disposables.push(this.emitter, problems.onDidChange((c) => this.onChange(c)));
  }

  // Only what changed is re-rendered: a group whose problems came, went or changed severity (its
  // rows, with its count), else the problems whose facts changed. The diagnosis is machine-wide,
  // so on a busy machine some group's count changes on most refreshes; re-rendering the whole
  // tree each time lost the clicks that landed meanwhile. The root only when a group appears or
  // empties (the root lists the non-empty ones) or on a full change.
  private onChange(c: ProblemsChange): void {
    const counts = this.problems.counts();
    let root = c.full;
    const groups = new Set<SeverityNode>();
    for (const [s, g] of this.groups) {
      if (g.count !== counts[s]) {
        if (g.count === 0 || counts[s] === 0) root = true;
        groups.add(g);
      }
      g.count = counts[s];
    }
    const fire: ProblemNode[] = [];
    let gone = false;
    for (const id of c.problems) {
      const p = this.problems.byId.get(id);
      const node = this.nodes.get(`problem:${id}`);
      if (!p) {
        gone = true;
        if (node) groups.add(node.parent);
        this.nodes.delete(`problem:${id}`);
        continue;
      }
      const group = this.groups.get(p.severity)!;
      if (!node) {
        groups.add(group);
        continue;
      }
      if (node.problem.severity !== p.severity) groups.add(node.parent).add(group);
      node.problem = p;
      node.parent = group;
      fire.push(node);
    }
    // forget the objects of problems that are gone (re-created if they come back)
    if (gone || root) for (const [id, n] of this.objectNodes) if (!this.problems.byId.has(n.parent.problem.id)) this.objectNodes.delete(id);
    if (root) {
      this.lastFired = 'all';
      this.emitter.fire(undefined);
      return;
    }
    const nodes: ProblemsTreeNode[] = [...groups, ...fire.filter((n) => !groups.has(n.parent))];
    this.lastFired = nodes.map((n) => (n.type === 'problem' ? n.problem.id : n.id));
    if (nodes.length) this.emitter.fire(nodes);
  }

  /** The node of a shown problem (created on demand, e.g. for reveal). */
  nodeOf(p: Problem): ProblemNode {
    const id = `problem:${p.id}`;
    let n = this.nodes.get(id);
    if (!n) this.nodes.set(id, (n = new ProblemNode(p, this.groups.get(p.severity)!)));
    n.problem = p;
    n.parent = this.groups.get(p.severity)!;
    return n;
  }

  /** The node of a shown problem by its id. */
  find(problemId: string): ProblemNode | undefined {
    const p = this.problems.byId.get(problemId);
    return p ? this.nodeOf(p) : undefined;
  }

  getChildren(element?: ProblemsTreeNode): ProblemsTreeNode[] {
    if (!element) return SEVERITIES.map((s) => this.groups.get(s)!).filter((g) => g.count > 0);
    if (element.type === 'severity') return this.problems.shown.filter((p) => p.severity === element.severity).map((p) => this.nodeOf(p));
    if (element.type === 'problem') return this.objectsOf(element);
    return [];
  }

  private objectsOf(node: ProblemNode): ProblemObjectNode[] {
    const p = node.problem;
    const targets: Array<{ channelId: string } | { pid: number }> = [
      ...p.channels.map((channelId) => ({ channelId })),
      ...p.pids.map((pid) => ({ pid })),
    ].slice(0, MAX_OBJECTS);
    return targets.map((t) => {
      const n = new ProblemObjectNode(node, t);
      const kept = this.objectNodes.get(n.id);
      if (kept) return kept;
      this.objectNodes.set(n.id, n);
      return n;
    });
  }

  getParent(element: ProblemsTreeNode): ProblemsTreeNode | undefined {
    return element.parent;
  }

  getTreeItem(element: ProblemsTreeNode): vscode.TreeItem {
    if (element.type === 'severity') {
      const item = new vscode.TreeItem(SEVERITY_TITLES[element.severity], element.severity === 'info' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.id;
      item.description = String(element.count);
      item.iconPath = severityIcon(element.severity);
      item.contextValue = 'ipc.problemGroup';
      item.tooltip = plural(element.count, `${element.severity === 'info' ? 'informational ' : ''}problem`);
      return item;
    }
    if (element.type === 'problem') {
      const p = element.problem;
      const row = problemRow(p);
      const item = new vscode.TreeItem(row.label, p.channels.length + p.pids.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.description = row.description;
      item.iconPath = severityIcon(p.severity);
      item.contextValue = problemContext(p);
      item.command = { command: OPEN_PROBLEM_SELECTION_COMMAND, title: 'Reveal and Inspect' };
      item.accessibilityInformation = { label: row.accessible, role: 'treeitem' };
      // the tooltip is built on hover (resolveTreeItem)
      return item;
    }
    const t = element.target;
    const item = new vscode.TreeItem(this.objectLabel(t), vscode.TreeItemCollapsibleState.None);
    item.id = element.id;
    item.contextValue = 'ipc.problemObject';
    item.command = { command: OPEN_PROBLEM_SELECTION_COMMAND, title: 'Reveal and Inspect' };
    if ('channelId' in t) {
      const ch = this.model.channelsById.get(t.channelId);
      item.iconPath = new vscode.ThemeIcon('symbol-interface');
      item.description = ch ? fmt.kindTitle(ch.kind) : 'not in the last scan';
    } else {
      const proc = this.model.procs.get(t.pid);
      item.iconPath = new vscode.ThemeIcon('server-process');
      item.description = proc ? plain(proc.user) : 'not in the last scan';
    }
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, element: ProblemsTreeNode): vscode.TreeItem {
    if (element.type === 'problem') item.tooltip = problemTooltip(element.problem, Date.now());
    else if (element.type === 'object') {
      const md = safeMarkdown();
      md.appendMarkdown(`${mdEscape(this.objectLabel(element.target))}\n\nClick to reveal it in its view and inspect it.`);
      item.tooltip = md;
    }
    return item;
  }

  objectLabel(t: { channelId: string } | { pid: number }): string {
    if ('channelId' in t) {
      const ch = this.model.channelsById.get(t.channelId);
      return ch ? plain(fmt.channelName(ch)) : plain(t.channelId);
    }
    return plain(fmt.processLabel(t.pid, this.model.procs.get(t.pid)));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** `ipc.problem[ removable][ signal]`: which safe actions the menus offer. */
export function problemContext(p: Problem): string {
  let v = 'ipc.problem';
  if (p.actions.some((a) => a.kind === 'remove')) v += ' removable';
  if (p.actions.some((a) => a.kind === 'signal')) v += ' signal';
  return v;
}
