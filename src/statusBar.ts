// The one status bar item, shown only when there is something to say: warnings on the channels
// the views show (a full queue, a pipe at capacity, semaphore waiters, an orphaned SysV segment).
// Plain text everywhere (its accessible label and tooltip too; the names in them are other
// users' text), no warning background (the guidelines keep that for the exceptional), and a
// click opens the list of warnings (ipcInspector.showWarnings), each revealed in the Channels
// view. How many channels there are is the Channels view's badge (views/viewChrome.ts); Pause
// lives in the views' title bar.
// With the diagnosis on (src/problems), the errors and warnings it found about what the views
// show come first: the item counts them and a click opens the Problems view instead.

import * as vscode from 'vscode';
import type { Channel, ChannelKind } from './core/model';
import { oneLine } from './core/escape';
import * as fmt from './core/format';
import { channelWarnings } from './core/diagnose/channelWarnings';
import { notLiveNote } from './core/refreshPace';
import { narrows } from './core/filter';
import type { ModelChange, ViewModel } from './views/viewModel';
import { plural } from './core/text';

/** What the status bar reads of the diagnosis (src/problems/problemsModel.ts). */
export interface StatusProblems {
  readonly shown: ReadonlyArray<{ id: string; severity: 'error' | 'warning' | 'info'; title: string }>;
  readonly onDidChange: vscode.Event<unknown>;
}

/** Whether the item's facts are live (src/liveSnapshots.ts): it polls only while a view is open and not paused. */
export interface StatusFreshness {
  readonly active: boolean;
  readonly paused: boolean;
  readonly current?: { takenAt: string };
  readonly onDidChangeState: vscode.Event<void>;
}

/** The notes (stale, narrowed) in the accessible label: ` (as of …; counted: …)`, '' when none. */
function labelNotes(notes: readonly string[]): string {
  return notes.length ? ` (${notes.map((n) => n.replace(/\.$/, '')).join('; ')})` : '';
}

/** The command a click runs while there are problems: the Problems view (its generated focus command). */
export const SHOW_PROBLEMS_COMMAND = 'ipcInspector.problems.focus';

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

export const SHOW_WARNINGS_COMMAND = 'ipcInspector.showWarnings';

/** Tooltip and accessible label list at most this many warnings. */
const LISTED = 5;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ipcInspector.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  /** Is the item shown (tests read it; the workbench has no getter). */
  visible = false;

  constructor(private readonly model: ViewModel) {
    this.item.name = 'IPC Inspector Warnings';
    this.item.command = SHOW_WARNINGS_COMMAND;
    this.disposables.push(this.item, model.onDidChange((c) => this.onChange(c)));
  }

  /** Channel id → its warnings (shown channels with any), kept up to date from the change sets. */
  private readonly warnings = new Map<string, { channel: Channel; texts: string[] }>();
  lastRenderMs = 0;
  private lastKey = '';
  private problems: StatusProblems | undefined;

  private freshness: StatusFreshness | undefined;
  /** The tooltip last set (tests; the workbench has no getter). */
  tooltip = '';

  /** Says "as of" when the source stops refreshing (every view hidden, or paused): the count is then the last scan's. */
  setFreshness(f: StatusFreshness): vscode.Disposable {
    this.freshness = f;
    const sub = f.onDidChangeState(() => this.render());
    this.render();
    return new vscode.Disposable(() => {
      sub.dispose();
      if (this.freshness === f) this.freshness = undefined;
    });
  }

  private staleNote(): string | undefined {
    return this.freshness ? notLiveNote(this.freshness, this.freshness.current?.takenAt) : undefined;
  }

  /** Counts the diagnosis's errors and warnings too (and opens the Problems view when there are any). */
  setProblems(p: StatusProblems): vscode.Disposable {
    this.problems = p;
    const sub = p.onDidChange(() => this.render());
    this.render();
    return new vscode.Disposable(() => {
      sub.dispose();
      if (this.problems === p) this.problems = undefined;
      this.render();
    });
  }

  /** The diagnosis's errors and warnings about what the views show (info is left to the Problems view). */
  problemList(): StatusProblems['shown'] {
    return (this.problems?.shown ?? []).filter((p) => p.severity !== 'info');
  }

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

  /** The current warnings, one per problem, in the order the channels were seen. */
  list(): StatusSummary['warnings'] {
    const out: StatusSummary['warnings'] = [];
    for (const w of this.warnings.values()) for (const text of w.texts) out.push({ channel: w.channel, text });
    return out;
  }

  render(): void {
    const list = this.list();
    const problems = this.problemList();
    // Texts change only when the warnings do: skip the workbench round trip otherwise.
    // both counts are of what the views show: under a filter or scope, the rest of the machine is left out
    const stale = this.staleNote();
    const notes = [stale, narrows(this.model.filter) ? 'Counted: only what the filter or scope lets through.' : undefined].filter((x): x is string => !!x);
    const key = list.map((w) => `${w.channel.id}\u0000${w.text}`).join('\u0001') + '\u0002' + problems.map((p) => `${p.id}\u0000${p.severity}\u0000${p.title}`).join('\u0001') + '\u0002' + notes.join('\u0001');
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (problems.length > 0) {
      this.renderProblems(problems, list.length, notes, !!stale);
      return;
    }
    this.item.command = SHOW_WARNINGS_COMMAND;
    if (list.length === 0) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const n = list.length;
    const what = plural(n, 'IPC warning');
    this.item.text = `$(warning) ${what}`;
    const lines = list.slice(0, LISTED).map((w) => oneLine(`${fmt.kindTitle(w.channel.kind)} ${fmt.channelName(w.channel, 60)}: ${w.text}`, 240));
    const more = n > LISTED ? `and ${(n - LISTED).toLocaleString('en-US')} more` : '';
    this.item.tooltip = this.tooltip = [`IPC Inspector: ${what}`, ...notes, ...lines.map((l) => `• ${l}`), ...(more ? [more] : []), 'Click to list them.'].join('\n');
    this.item.accessibilityInformation = { label: `IPC Inspector: ${what}${labelNotes(notes)}: ${[...lines, ...(more ? [more] : [])].join('; ')}. Activate to list them.`, role: 'button' };
    this.item.show();
    this.visible = true;
  }

  private renderProblems(problems: StatusProblems['shown'], warnings: number, notes: string[], stale: boolean): void {
    const n = problems.length;
    const errors = problems.filter((p) => p.severity === 'error').length;
    const what = plural(n, 'IPC problem');
    this.item.text = `$(${errors ? 'error' : 'warning'}) ${what}`;
    this.item.command = SHOW_PROBLEMS_COMMAND;
    const lines = problems.slice(0, LISTED).map((p) => oneLine(`${p.severity}: ${p.title}`, 240));
    const more = n > LISTED ? `and ${(n - LISTED).toLocaleString('en-US')} more` : '';
    const also = warnings ? `(and ${plural(warnings, 'channel warning')}: Show IPC Warnings)` : '';
    this.item.tooltip = this.tooltip = [`IPC Inspector: ${what} (${plural(errors, 'error')})`, ...notes, ...lines.map((l) => `• ${l}`), ...(more ? [more] : []), ...(also ? [also] : []), `Click to open the Problems view${stale ? ' and refresh' : ''}.`].join('\n');
    this.item.accessibilityInformation = { label: `IPC Inspector: ${what}${labelNotes(notes)}: ${[...lines, ...(more ? [more] : [])].join('; ')}. Activate to open the Problems view.`, role: 'button' };
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
