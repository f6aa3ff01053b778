// Tree node types shared by the Channels and Processes views. Every node has a stable id (→
// TreeItem.id, so expansion and selection survive refreshes), a parent (for reveal) and a
// contextValue the package.json menus key on:
//   ipc.group | ipc.info | ipc.signals
//   ipc.channel.<kind>[ hasPeer][ removable]
//   ipc.endpoint.<kind>[ hasPeer]
//   ipc.process
// Node objects are kept by id in each provider and updated in place, never re-created.

import * as vscode from 'vscode';
import type { Capabilities, Channel, ChannelKind, Endpoint, ProcessInfo } from '../core/model';
import * as fmt from '../core/format';
import { escapeMarkdown, truncate } from '../core/escape';

export interface RenderContext {
  procs: ReadonlyMap<number, ProcessInfo>;
  channelsById: ReadonlyMap<string, Channel>;
  capabilities: Capabilities | undefined;
  /** Channel ids currently marked as new. */
  isNew(channelId: string): boolean;
}

export const REMOVABLE_KINDS: ReadonlySet<ChannelKind> = new Set(['sysv-msg', 'sysv-shm', 'sysv-sem', 'posix-mq', 'posix-shm', 'posix-sem']);

const KIND_ICONS: Record<ChannelKind, string> = {
  pipe: 'arrow-right',
  fifo: 'symbol-event',
  'sysv-msg': 'mail',
  'posix-mq': 'mail',
  'sysv-shm': 'database',
  'posix-shm': 'database',
  'anon-shm': 'database',
  'sysv-sem': 'symbol-numeric',
  'posix-sem': 'symbol-numeric',
  unix: 'plug',
  tcp: 'globe',
  udp: 'broadcast',
};

/** Markdown-escape text, bounded to one tooltip line (core/escape): `**x**`, `<img …>`, `[x](command:…)` render literally. */
export function mdEscape(text: string, max: number = fmt.CAPS.line): string {
  return escapeMarkdown(truncate(text, max));
}

/** A Markdown tooltip that never runs commands or HTML. */
export function safeMarkdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

/** Plain text safe for a label/description (no control characters; bounded). */
export function plain(text: string, max: number = fmt.CAPS.line): string {
  return fmt.shortText(text, max);
}

export function processLabel(p: ProcessInfo | undefined, pid: number): string {
  return fmt.processLabel(pid, p);
}

/** Problems worth a warning on a channel (status bar and icon). */
export function channelWarnings(ch: Channel): string[] {
  const out: string[] = [];
  switch (ch.kind) {
    case 'pipe':
    case 'fifo':
      if (ch.bufferedBytes !== null && ch.capacity !== null && ch.capacity > 0 && ch.bufferedBytes >= ch.capacity)
        out.push(`${ch.kind === 'pipe' ? 'pipe' : 'FIFO'} at capacity (${ch.bufferedBytes} bytes): writers block`);
      break;
    case 'sysv-msg':
      if (ch.maxBytes > 0 && ch.bytes >= ch.maxBytes) out.push(`queue full (${ch.bytes}/${ch.maxBytes} bytes): senders block`);
      break;
    case 'posix-mq':
      if (ch.messages !== null && ch.maxMessages !== null && ch.maxMessages > 0 && ch.messages >= ch.maxMessages)
        out.push(`queue full (${ch.messages}/${ch.maxMessages} messages): senders block`);
      break;
    case 'sysv-sem': {
      const waiters = (ch.waitingForIncrease ?? []).reduce((a, b) => a + b, 0) + (ch.waitingForZero ?? []).reduce((a, b) => a + b, 0);
      if (waiters > 0) out.push(`${waiters} process${waiters === 1 ? '' : 'es'} waiting on the semaphore set`);
      break;
    }
    case 'sysv-shm':
      if (ch.orphaned) out.push('orphaned: no attachers and its creator is gone');
      break;
    default:
      break;
  }
  return out;
}

/** Endpoints on the other side of `ep` within a pipe/FIFO (complementary mode, different fd). */
export function pipePeers(ch: Channel, ep: Endpoint): Endpoint[] {
  const same = (a: Endpoint) => a.pid === ep.pid && a.fd === ep.fd && a.map === ep.map;
  return ch.endpoints.filter((o) => {
    if (same(o)) return false;
    if (ep.mode === 'rw' || o.mode === 'rw') return true;
    return o.mode !== ep.mode;
  });
}

/** The channel id of the other end of a connected socket, when both ends are in the snapshot. */
export function socketPeerId(ch: Channel, channels: ReadonlyMap<string, Channel>): string | undefined {
  if ((ch.kind === 'unix' || ch.kind === 'tcp' || ch.kind === 'udp') && ch.peer && channels.has(ch.peer)) return ch.peer;
  return undefined;
}

export type NodeType = 'group' | 'info' | 'channel' | 'endpoint' | 'process' | 'signals';

export abstract class BaseNode {
  /** Discriminator (tests run in another bundle, where instanceof does not hold). */
  abstract readonly type: NodeType;
  abstract readonly id: string;
  abstract readonly parent: IpcNode | undefined;
  abstract toTreeItem(ctx: RenderContext): vscode.TreeItem;
}

export class GroupNode extends BaseNode {
  readonly type = 'group' as const;
  readonly id: string;
  /** Set by the provider on each update. */
  count = 0;
  total = 0;
  constructor(
    readonly groupId: string,
    readonly label: string,
    readonly kinds: readonly ChannelKind[],
    readonly parent: GroupNode | undefined,
  ) {
    super();
    this.id = `group:${groupId}`;
  }

  /** Why this group may be empty or incomplete, when it is a capability problem. */
  capabilityNote(caps: Capabilities | undefined): string | undefined {
    if (!caps) return undefined;
    const notes: string[] = [];
    if (this.kinds.includes('posix-mq') && !caps.mqueueMounted)
      notes.push('/dev/mqueue is not mounted — run `mount -t mqueue none /dev/mqueue` to list POSIX queues');
    if (this.kinds.includes('unix') && !caps.sockDiag) notes.push('sock_diag netlink unavailable — Unix socket peers and queues are unknown');
    if (!caps.native && (this.kinds.includes('pipe') || this.kinds.includes('fifo') || this.kinds.includes('sysv-sem')))
      notes.push(`native addon not loaded${caps.nativeError ? ` (${caps.nativeError})` : ''} — buffered bytes and semaphore values are unknown`);
    if (!caps.root) notes.push('not running as root — other users\' processes may be hidden');
    return notes.length ? notes.join('; ') : undefined;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.group';
    item.description = this.count === this.total ? String(this.count) : `${this.count} of ${this.total}`;
    const md = safeMarkdown();
    md.appendMarkdown(`**${mdEscape(this.label)}** — ${this.count} shown${this.total !== this.count ? ` of ${this.total}` : ''}\n\n`);
    for (const k of this.kinds) md.appendMarkdown(`- ${mdEscape(fmt.kindTitle(k))}: ${mdEscape(fmt.kindTeaching(k))}\n`);
    const note = this.capabilityNote(ctx.capabilities);
    if (note) md.appendMarkdown(`\n\n⚠ ${mdEscape(note)}`);
    item.tooltip = md;
    return item;
  }
}

export class InfoNode extends BaseNode {
  readonly type = 'info' as const;
  constructor(
    readonly id: string,
    readonly parent: IpcNode | undefined,
    public label: string,
    public description = '',
    public tooltip = '',
    public icon = 'info',
  ) {
    super();
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = 'ipc.info';
    item.description = this.description;
    if (this.tooltip) {
      const md = safeMarkdown();
      md.appendMarkdown(mdEscape(this.tooltip));
      item.tooltip = md;
    }
    item.iconPath = new vscode.ThemeIcon(this.icon);
    return item;
  }
}

export class ChannelNode extends BaseNode {
  readonly type = 'channel' as const;
  constructor(
    readonly id: string,
    readonly parent: IpcNode | undefined,
    public channel: Channel,
  ) {
    super();
  }

  contextValue(ctx: RenderContext): string {
    const ch = this.channel;
    let v = `ipc.channel.${ch.kind}`;
    if (socketPeerId(ch, ctx.channelsById)) v += ' hasPeer';
    if (REMOVABLE_KINDS.has(ch.kind)) v += ' removable';
    return v;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const ch = this.channel;
    const item = new vscode.TreeItem(
      plain(fmt.channelLabel(ch, ctx.procs)),
      ch.endpoints.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.contextValue = this.contextValue(ctx);
    const desc = plain(fmt.channelDescription(ch));
    item.description = ctx.isNew(ch.id) ? `✦ new${desc ? ' · ' + desc : ''}` : desc;
    const warnings = channelWarnings(ch);
    item.iconPath = warnings.length
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon(KIND_ICONS[ch.kind]);
    item.tooltip = channelTooltip(ch, ctx, warnings);
    return item;
  }
}

export function channelTooltip(ch: Channel, ctx: RenderContext, warnings = channelWarnings(ch)): vscode.MarkdownString {
  const md = safeMarkdown();
  md.appendMarkdown(`**${mdEscape(fmt.kindTitle(ch.kind))}** — ${mdEscape(fmt.kindTeaching(ch.kind))}\n\n`);
  for (const w of warnings) md.appendMarkdown(`⚠ ${mdEscape(w)}\n\n`);
  for (const line of fmt.channelTooltipLines(ch)) md.appendMarkdown(`- ${mdEscape(line)}\n`);
  if (ch.endpoints.length) {
    md.appendMarkdown(`\n**Held by**\n\n`);
    const max = 20;
    for (const ep of ch.endpoints.slice(0, max)) md.appendMarkdown(`- ${mdEscape(fmt.endpointLabel(ep, ctx.procs.get(ep.pid)))}\n`);
    if (ch.endpoints.length > max) md.appendMarkdown(`- … and ${ch.endpoints.length - max} more\n`);
  } else {
    md.appendMarkdown(`\nNo process holds it open.\n`);
  }
  return md;
}

export class EndpointNode extends BaseNode {
  readonly type = 'endpoint' as const;
  constructor(
    readonly id: string,
    readonly parent: ChannelNode,
    public endpoint: Endpoint,
  ) {
    super();
  }

  get channel(): Channel {
    return this.parent.channel;
  }

  hasPeer(ctx: RenderContext): boolean {
    const ch = this.channel;
    if (ch.kind === 'pipe' || ch.kind === 'fifo') return pipePeers(ch, this.endpoint).length > 0;
    return socketPeerId(ch, ctx.channelsById) !== undefined;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const ep = this.endpoint;
    const proc = ctx.procs.get(ep.pid);
    const item = new vscode.TreeItem(plain(fmt.endpointLabel(ep, proc)), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = `ipc.endpoint.${this.channel.kind}${this.hasPeer(ctx) ? ' hasPeer' : ''}`;
    item.description = proc ? plain(proc.user) : '';
    item.iconPath = new vscode.ThemeIcon(ep.mode === 'r' ? 'arrow-left' : ep.mode === 'w' ? 'arrow-right' : 'arrow-both');
    const md = safeMarkdown();
    const modeText = ep.mode === 'r' ? 'reads' : ep.mode === 'w' ? 'writes' : 'reads and writes';
    md.appendMarkdown(`**${mdEscape(processLabel(proc, ep.pid))}** ${modeText} through ${ep.fd !== undefined ? `fd ${ep.fd}` : `mapping ${mdEscape(ep.map ?? '?')}`}\n\n`);
    if (proc) {
      md.appendMarkdown(`- command: ${mdEscape(proc.cmdline.join(' ') || proc.comm)}\n- user: ${mdEscape(proc.user)} (uid ${proc.uid})\n`);
    }
    md.appendMarkdown(`- channel: ${mdEscape(this.channel.id)}\n`);
    item.tooltip = md;
    return item;
  }
}

export class ProcessNode extends BaseNode {
  readonly type = 'process' as const;
  readonly id: string;
  /** Number of shown channels held (set by the provider). */
  channelCount = 0;
  /** CPU/memory line resolved lazily (hostFacts), never in the refresh path. */
  usage: string | undefined;
  constructor(
    public proc: ProcessInfo,
    public parent: ProcessNode | undefined,
  ) {
    super();
    this.id = `proc:${proc.pid}`;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const p = this.proc;
    const item = new vscode.TreeItem(processLabel(p, p.pid), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.process';
    const bits = [plain(p.user), `${this.channelCount} channel${this.channelCount === 1 ? '' : 's'}`];
    if (p.tracerPid) bits.push(`traced by ${processLabel(ctx.procs.get(p.tracerPid), p.tracerPid)}`);
    if (p.signals.pending.length + p.signals.shdPending.length) bits.push('signal pending');
    item.description = bits.join(' · ');
    item.iconPath = new vscode.ThemeIcon(p.tracerPid ? 'debug' : 'server-process');
    item.tooltip = processTooltip(p, ctx, this.usage);
    return item;
  }
}

export function processTooltip(p: ProcessInfo, ctx: RenderContext, usage?: string): vscode.MarkdownString {
  const md = safeMarkdown();
  md.appendMarkdown(`**${mdEscape(processLabel(p, p.pid))}** — a process holding IPC channels\n\n`);
  const rows: Array<[string, string]> = [
    ['command', p.cmdline.join(' ') || p.comm],
    ['user', `${p.user} (uid ${p.uid})`],
    ['parent', processLabel(ctx.procs.get(p.ppid), p.ppid)],
    ['state', p.state],
    ['threads', String(p.threads)],
    ['start time', `${p.startTime} ticks after boot`],
  ];
  if (p.cwd) rows.push(['cwd', p.cwd]);
  if (p.exe) rows.push(['exe', p.exe]);
  if (p.tracerPid) rows.push(['traced by', processLabel(ctx.procs.get(p.tracerPid), p.tracerPid)]);
  const s = p.signals;
  rows.push(['caught', s.caught.join(', ') || 'none'], ['ignored', s.ignored.join(', ') || 'none'], ['blocked', s.blocked.join(', ') || 'none']);
  const pending = [...new Set([...s.pending, ...s.shdPending])];
  rows.push(['pending', pending.join(', ') || 'none']);
  if (s.queued !== null) rows.push(['queued signals', `${s.queued}${s.queueLimit !== null ? ` / ${s.queueLimit}` : ''}`]);
  for (const t of p.timers) rows.push([`timer ${t.id}`, `${t.clock} → ${t.signal ?? t.notify}`]);
  if (usage) rows.push(['usage', usage]);
  for (const [k, v] of rows) md.appendMarkdown(`- ${mdEscape(k)}: ${mdEscape(v)}\n`);
  return md;
}

export class SignalsNode extends BaseNode {
  readonly type = 'signals' as const;
  readonly id: string;
  constructor(
    readonly parent: ProcessNode,
  ) {
    super();
    this.id = `${parent.id}/signals`;
  }

  rows(): Array<[string, string[]]> {
    const s = this.parent.proc.signals;
    return [
      ['Caught', s.caught],
      ['Ignored', s.ignored],
      ['Blocked', s.blocked],
      ['Pending', [...new Set([...s.pending, ...s.shdPending])]],
    ];
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Signals', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.signals';
    item.description = this.rows()
      .map(([k, v]) => `${k.toLowerCase()} ${v.length}`)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon('zap');
    const md = safeMarkdown();
    md.appendMarkdown('**Signals** — asynchronous notifications; a process may catch (run a handler), ignore or block (defer) each one, except SIGKILL and SIGSTOP.\n\n');
    for (const [k, v] of this.rows()) md.appendMarkdown(`- ${k}: ${mdEscape(v.join(', ') || 'none')}\n`);
    item.tooltip = md;
    return item;
  }
}

export type IpcNode = GroupNode | InfoNode | ChannelNode | EndpointNode | ProcessNode | SignalsNode;

/** Stable id of an endpoint node under a channel node. */
export function endpointNodeId(channelNodeId: string, ep: Endpoint): string {
  return `${channelNodeId}/ep:${ep.pid}:${ep.fd !== undefined ? ep.fd : `m${ep.map ?? ''}`}`;
}

/** The plain data behind a node (Copy as JSON). */
export function nodeData(node: IpcNode): unknown {
  if (node instanceof ChannelNode) return node.channel;
  if (node instanceof EndpointNode) return { channel: node.channel.id, ...node.endpoint };
  if (node instanceof ProcessNode || node instanceof SignalsNode) return node instanceof ProcessNode ? node.proc : node.parent.proc.signals;
  if (node instanceof GroupNode) return { group: node.label, kinds: node.kinds, shown: node.count, total: node.total };
  return { label: node.label, description: node.description };
}
