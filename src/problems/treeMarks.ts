// Problem markers on the Channels and Processes items: a channel or process that a shown error or
// warning is about gets that severity's icon (theme colours) in place of its kind's, and every
// problem about it (info too) is listed at the end of its tooltip, escaped. The mark depends only
// on the problems (ids and titles, problemsModel.ts), so an item keeps it across refreshes and is
// re-rendered only when its problems change. Added around the providers through TreeChrome.
import * as vscode from 'vscode';
import type { IpcNode } from '../views/nodes';
import { mdEscape } from '../views/nodes/markdown';
import type { TreeDecorator } from '../views/treeChrome';
import type { ProblemMark, ProblemsModel } from './problemsModel';
import { ruleTitle, severityIcon } from './problemText';

/** Above this many marked items changing at once, one full refresh is cheaper. */
const MAX_PARTIAL = 200;

export interface MarkTargets {
  /** The provider's node of a listed channel / process, or undefined. */
  channelNode?(id: string): IpcNode | undefined;
  processNode?(pid: number): IpcNode | undefined;
}

export function markOf(problems: ProblemsModel, element: IpcNode): ProblemMark | undefined {
  if (element.type === 'channel') return problems.channelMark(element.channel.id);
  if (element.type === 'process') return problems.pidMark(element.proc.pid);
  return undefined;
}

export class ProblemMarks implements TreeDecorator, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<IpcNode[] | undefined>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** Tooltips already given their problem lines (an item may pass through decorate and resolve). */
  private readonly marked = new WeakSet<vscode.MarkdownString>();

  constructor(
    private readonly problems: ProblemsModel,
    targets: MarkTargets,
  ) {
    this.disposables.push(
      problems.onDidChange((c) => {
        if (c.channels.size + c.pids.size > MAX_PARTIAL) return this.emitter.fire(undefined);
        const nodes: IpcNode[] = [];
        if (targets.channelNode) for (const id of c.channels) pushIf(nodes, targets.channelNode(id));
        if (targets.processNode) for (const pid of c.pids) pushIf(nodes, targets.processNode(pid));
        if (nodes.length) this.emitter.fire(nodes);
      }),
    );
  }

  decorate(item: vscode.TreeItem, element: IpcNode): void {
    const mark = markOf(this.problems, element);
    if (!mark) return;
    if (mark.severity !== 'info') item.iconPath = severityIcon(mark.severity);
    this.appendTo(item, mark);
  }

  resolve(item: vscode.TreeItem, element: IpcNode): void {
    const mark = markOf(this.problems, element);
    if (mark) this.appendTo(item, mark);
  }

  private appendTo(item: vscode.TreeItem, mark: ProblemMark): void {
    const md = item.tooltip;
    if (!(md instanceof vscode.MarkdownString) || this.marked.has(md)) return;
    this.marked.add(md);
    md.appendMarkdown(`\n\n---\n\n**Problems** (see the Problems view)\n\n`);
    for (const p of mark.problems.slice(0, 6)) md.appendMarkdown(`- ${mdEscape(p.severity)} · ${mdEscape(ruleTitle(p.rule))}: ${mdEscape(p.title, 300)}\n`);
    if (mark.problems.length > 6) md.appendMarkdown(`- … and ${mark.problems.length - 6} more\n`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function pushIf(list: IpcNode[], n: IpcNode | undefined): void {
  if (n) list.push(n);
}
