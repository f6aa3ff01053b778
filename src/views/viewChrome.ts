// What the two views say around their rows, kept in sync with the model and the poller:
// - the message (TreeView.message): what narrows them (filter, scope, toggles), or — when that
//   leaves nothing — one empty-state line saying so and how much it hides;
// - the description beside the title: "Paused" while live updates are paused, else nothing (the
//   title keeps its room in a narrow side bar; a wait stretched by slow scans is said in the log);
// - the Channels view's badge (on the activity bar icon): how many channels it lists, with the
//   machine's facts (distribution, kernel, CPUs) in its tooltip — only while the diagnosis is off:
//   the workbench adds up the badges of a container's views, and with the diagnosis on the
//   container's badge is the Problems view's count (what needs attention), not a sum of both;
//   the host facts then move to that badge's tooltip (problems/index.ts, onDidChangeHost).
// Every value is assigned only when it changes: each assignment is a message to the workbench.

import * as vscode from 'vscode';
import type { LiveSnapshots } from '../liveSnapshots';
import type { FilterController } from './filterController';
import type { IpcNode } from './nodes';
import { filteredToNothing } from './treeChrome';
import type { ViewModel } from './viewModel';
import { plural } from '../core/text';

export class ViewChrome implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly last = new Map<string, string>();
  private host = '';

  constructor(
    private readonly model: ViewModel,
    private readonly source: LiveSnapshots,
    private readonly filters: FilterController,
    private readonly channelsView: vscode.TreeView<IpcNode>,
    private readonly processesView: vscode.TreeView<IpcNode>,
  ) {
    this.disposables.push(
      this.hostChanged,
      model.onDidChange(() => this.render()),
      source.onDidChangeState(() => this.render()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ipcInspector.diagnose')) this.render();
      }),
    );
    this.render();
  }

  private readonly hostChanged = new vscode.EventEmitter<string>();
  /** The host line arrived (the Problems view's badge shows it when it replaces this badge). */
  readonly onDidChangeHost = this.hostChanged.event;

  /** "Debian GNU/Linux 12 · kernel 6.1.0 · 2 CPUs" (hostFacts.ts), once it is known. */
  set hostLine(line: string) {
    this.host = line;
    this.render();
    this.hostChanged.fire(line);
  }

  get hostLine(): string {
    return this.host;
  }

  private set(key: string, value: string, apply: () => void): void {
    if (this.last.get(key) === value) return;
    this.last.set(key, value);
    apply();
  }

  /** The message of a view: the empty state when the filter leaves nothing, else what filters it. */
  messageFor(what: 'channels' | 'processes'): string | undefined {
    const summary = this.filters.summary();
    if (filteredToNothing(this.model, what)) {
      const hidden = what === 'channels' ? (this.model.snapshot?.channels.length ?? 0) : (this.model.snapshot?.processes.length ?? 0);
      return `No ${what === 'channels' ? 'channel' : 'process'} matches (${hidden.toLocaleString('en-US')} hidden)${summary ? ` — ${summary}` : ''}`;
    }
    return summary;
  }

  /** The Channels view's badge: shown channels; the tooltip adds the total and the host. */
  badge(): vscode.ViewBadge | undefined {
    if (!this.model.snapshot) return undefined;
    if (vscode.workspace.getConfiguration('ipcInspector').get<boolean>('diagnose', true)) return undefined;
    const shown = this.model.result.channels.length;
    const total = this.model.snapshot.channels.length;
    const narrowed = this.model.filtering || this.model.filter.scopePid !== undefined;
    const count = narrowed ? `${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} IPC channels shown` : plural(total, 'IPC channel');
    return { value: shown, tooltip: this.host ? `${count} — ${this.host}` : count };
  }

  render(): void {
    const description = this.source.paused ? 'Paused' : '';
    for (const [what, view] of [
      ['channels', this.channelsView],
      ['processes', this.processesView],
    ] as const) {
      const message = this.messageFor(what) ?? '';
      this.set(`${what}.message`, message, () => (view.message = message || undefined));
      this.set(`${what}.description`, description, () => (view.description = description || undefined));
    }
    const b = this.badge();
    this.set('badge', b ? `${b.value}\n${b.tooltip}` : '', () => (this.channelsView.badge = b));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
