// A process in the Processes view: user, channel count, tracer, pending signals; a tooltip with
// its command line and signal sets (core/signalSets.ts).
import * as vscode from 'vscode';
import type { ProcessInfo } from '../../core/model';
import * as fmt from '../../core/format';
import { signalSetsOf } from '../../core/signalSets';
import { hexText, plural } from '../../core/text';
import { BaseNode, type IpcNode, type RenderContext } from './base';
import { mdEscape, plain, safeMarkdown } from './markdown';

export class ProcessNode extends BaseNode {
  readonly type = 'process' as const;
  readonly id: string;
  /** Number of shown channels held (set by the provider). */
  channelCount = 0;
  /** CPU/memory line resolved lazily (hostFacts), never in the refresh path. */
  usage: string | undefined;
  constructor(
    public proc: ProcessInfo,
    /** A Children section (grouped by parent), a grouping's bucket, or none (top level). */
    public parent: IpcNode | undefined,
  ) {
    super();
    this.id = `proc:${proc.pid}`;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const p = this.proc;
    const item = new vscode.TreeItem(fmt.processLabel(p.pid, p), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const prov = ctx.provenance?.(p.pid);
    // ` terminal` / ` task` / ` debug`: the menus offer Show Terminal, Show Task Output, Scope to this Debug Session
    item.contextValue = `ipc.process${prov && (prov.kind === 'terminal' || prov.kind === 'task' || prov.kind === 'debug') ? ` ${prov.kind}` : ''}`;
    const bits = [plain(p.user), plural(this.channelCount, 'channel')];
    if (prov) bits.unshift(plain(prov.label));
    const inner = innerPid(p);
    if (inner !== undefined) bits.unshift(`pid ${inner} inside`);
    if (p.threadOf !== undefined) bits.push('thread with an fd table of its own');
    if (p.tracerPid) bits.push(`traced by ${fmt.processLabel(p.tracerPid, ctx.procs.get(p.tracerPid))}`);
    if (p.signals.pending.length + p.signals.shdPending.length) bits.push('signal pending');
    item.description = bits.join(' · ');
    item.iconPath = new vscode.ThemeIcon(p.tracerPid ? 'debug' : 'server-process');
    // The tooltip (command line, signal sets, usage) is built on hover: resolveTreeItem → processTooltip.
    return item;
  }
}

/** The pid inside the innermost pid namespace, when the process is in a nested one (NSpid). */
export function innerPid(p: Pick<ProcessInfo, 'nsPid'>): number | undefined {
  return p.nsPid && p.nsPid.length > 1 ? p.nsPid[p.nsPid.length - 1] : undefined;
}

export function processTooltip(p: ProcessInfo, ctx: RenderContext, usage?: string): vscode.MarkdownString {
  const md = safeMarkdown();
  md.appendMarkdown(`**${mdEscape(fmt.processLabel(p.pid, p))}** — a process holding IPC channels\n\n`);
  const rows: Array<[string, string]> = [
    ['command', fmt.shownCommand(p) || fmt.shownComm(p)],
    ['user', fmt.userText(p)],
    ['parent', fmt.processLabel(p.ppid, ctx.procs.get(p.ppid))],
    ['state', p.state],
    ['threads', String(p.threads)],
    ['start time', `${p.startTime} ticks after boot`],
  ];
  if (p.cwd) rows.push(['cwd', hexText(p.cwdBytes, p.cwd)]);
  if (p.exe) rows.push(['exe', hexText(p.exeBytes, p.exe)]);
  if (p.tracerPid) rows.push(['traced by', fmt.processLabel(p.tracerPid, ctx.procs.get(p.tracerPid))]);
  const s = p.signals;
  for (const [set, names] of signalSetsOf(s)) rows.push([set.title.toLowerCase(), names.join(', ') || 'none']);
  if (s.queued !== null) rows.push(['queued signals', `${s.queued}${s.queueLimit !== null ? ` / ${s.queueLimit}` : ''}`]);
  for (const t of p.timers) rows.push([`timer ${t.id}`, `${t.clock} → ${t.signal ?? t.notify}`]);
  for (const e of p.errors ?? []) rows.push([`${e.field} unreadable`, `${e.code} from ${e.syscall}`]);
  if (usage) rows.push(['usage', usage]);
  const prov = ctx.provenance?.(p.pid);
  if (prov) rows.push(['started by', `${prov.label}${prov.detail ? ` — ${prov.detail}` : ''}${prov.rootPid !== p.pid ? ` (below ${fmt.processLabel(prov.rootPid, ctx.procs.get(prov.rootPid))})` : ''}`]);
  if (p.container) rows.push(['container', fmt.containerLabel(p.container)]);
  const inner = innerPid(p);
  if (inner !== undefined) rows.push(['pid inside its namespace', `${inner} (host pid ${p.pid}; NSpid ${p.nsPid!.join(' → ')})`]);
  if (p.pidns) rows.push(['pid namespace', p.pidns]);
  if (p.netns) rows.push(['network namespace', p.netns]);
  if (p.mntns) rows.push(['mount namespace', p.mntns]);
  for (const [k, v] of rows) md.appendMarkdown(`- ${mdEscape(k)}: ${mdEscape(v)}\n`);
  return md;
}
