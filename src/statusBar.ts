// Status bar: channel counts with a warning when something looks wrong (a full queue, a pipe at
// capacity, semaphore waiters, orphaned SysV segments); click opens the Channels view. A second
// item pauses/resumes live updates.

import * as vscode from 'vscode';
import type { Channel, ChannelKind } from './core/model';
import * as fmt from './core/format';
import type { LiveSnapshots } from './liveSnapshots';
import { mdEscape, safeMarkdown } from './views/nodes';
import { channelWarnings } from './core/diagnose/channelWarnings';
import type { ModelChange, ViewModel } from './views/viewModel';

export interface StatusSummary {
  total: number;
  byKind: Map<ChannelKind, number>;
  warnings: Array<{ channel: Channel; text: string }>;
}

export function summarize(channels: readonly Channel[]): StatusSummary {
  const byKind = new Map<ChannelKind, number>();
  const warnings: StatusSummary['warnings'] = [];
  for (const ch of channels) {
    byKind.set(ch.kind, (byKind.get(ch.kind) ?? 0) + 1);
    for (const text of channelWarnings(ch)) warnings.push({ channel: ch, text });
  }
  return { total: channels.length, byKind, warnings };
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ipcInspector.status', vscode.StatusBarAlignment.Left, 50);
  private readonly pauseItem = vscode.window.createStatusBarItem('ipcInspector.pause', vscode.StatusBarAlignment.Left, 49);
  private readonly disposables: vscode.Disposable[] = [];
  hostLine = '';

  constructor(
    private readonly model: ViewModel,
    private readonly source: LiveSnapshots,
  ) {
    this.item.name = 'IPC Inspector';
    this.item.command = 'ipcInspector.channels.focus';
    this.item.text = '$(pulse) IPC';
    this.item.tooltip = 'IPC Inspector — open the Channels view';
    this.pauseItem.name = 'IPC Inspector: pause/resume';
    this.disposables.push(
      this.item,
      this.pauseItem,
      model.onDidChange((c) => this.onChange(c)),
      source.onDidChangeState(() => this.renderPause()),
    );
    this.renderPause();
    this.item.show();
  }

  /** Channel id → its warnings (shown channels with any), kept up to date from the change sets. */
  private readonly warnings = new Map<string, { channel: Channel; texts: string[] }>();
  lastRenderMs = 0;

  private onChange(c: ModelChange): void {
    const t0 = performance.now();
    if (c.full) {
      this.warnings.clear();
      for (const ch of this.model.result.channels) this.track(ch);
    } else {
      for (const l of c.left) this.warnings.delete(l.id);
      for (const ch of c.entered) this.track(ch);
      for (const id of c.channels) {
        const ch = this.model.channelsById.get(id);
        this.warnings.delete(id);
        if (ch && this.model.isShown(id)) this.track(ch);
      }
    }
    this.render();
    this.lastRenderMs = performance.now() - t0;
  }

  private track(ch: Channel): void {
    const texts = channelWarnings(ch);
    if (texts.length) this.warnings.set(ch.id, { channel: ch, texts });
  }

  render(): void {
    const byKind = new Map<ChannelKind, number>();
    let total = 0;
    if (this.model.filtering || this.model.filter.scopePid !== undefined) {
      for (const ch of this.model.result.channels) byKind.set(ch.kind, (byKind.get(ch.kind) ?? 0) + 1);
      total = this.model.result.channels.length;
    } else {
      for (const [k, n] of this.model.totals) if (n > 0) byKind.set(k, n);
      total = [...byKind.values()].reduce((a, b) => a + b, 0);
    }
    const warnings: StatusSummary['warnings'] = [];
    for (const w of this.warnings.values()) for (const text of w.texts) warnings.push({ channel: w.channel, text });
    const s: StatusSummary = { total, byKind, warnings };
    const warn = s.warnings.length > 0;
    this.item.text = `${warn ? '$(warning)' : '$(pulse)'} ${s.total} IPC${warn ? ` · ${s.warnings.length} warning${s.warnings.length === 1 ? '' : 's'}` : ''}`;
    this.item.backgroundColor = warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const md = safeMarkdown();
    md.appendMarkdown(`**IPC Inspector** — ${s.total} channel${s.total === 1 ? '' : 's'}${this.model.filtering ? ' (filtered)' : ''}\n\n`);
    for (const [kind, n] of [...s.byKind].sort((a, b) => b[1] - a[1])) md.appendMarkdown(`- ${mdEscape(fmt.kindTitle(kind))}: ${n}\n`);
    if (warn) {
      md.appendMarkdown('\n**Warnings**\n\n');
      for (const w of s.warnings.slice(0, 10)) md.appendMarkdown(`- ⚠ ${mdEscape(w.channel.id)}: ${mdEscape(w.text)}\n`);
      if (s.warnings.length > 10) md.appendMarkdown(`- … and ${s.warnings.length - 10} more\n`);
    }
    if (this.hostLine) md.appendMarkdown(`\n${mdEscape(this.hostLine)}\n`);
    md.appendMarkdown('\nClick to open the Channels view.');
    this.item.tooltip = md;
  }

  private renderPause(): void {
    if (this.source.paused) {
      this.pauseItem.text = '$(play) IPC paused';
      this.pauseItem.tooltip = 'IPC Inspector live updates are paused — click to resume';
      this.pauseItem.command = 'ipcInspector.resume';
    } else {
      this.pauseItem.text = '$(debug-pause)';
      this.pauseItem.tooltip = 'Pause IPC Inspector live updates';
      this.pauseItem.command = 'ipcInspector.pause';
    }
    this.pauseItem.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
