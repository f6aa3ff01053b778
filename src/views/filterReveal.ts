// A text filter opens the Processes view to its matches (issue 11: a filter showed collapsed
// processes, and nothing of what matched): when the filter text changes to something, the view
// expands the channel groups of the first matching processes. The Channels view already lists the
// matches under groups that count them, and is left as the user arranged it. The reveal happens
// once, when the workbench next asks the view for its top level (the refresh the filter caused, or
// the view being shown later) — a reveal before that refresh would meet the old rows — and only
// in a view the user sees; never again until the filter text changes.
import * as vscode from 'vscode';
import type { IpcNode } from './nodes';
import type { ProcessesTree } from './processesTree';
import type { ViewModel } from './viewModel';

/** Processes whose channel groups a filter opens (more would flood a narrow view). */
export const REVEAL_PROCESSES = 8;

type Which = 'channels' | 'processes';

export class FilterReveal implements vscode.Disposable {
  private lastText = '';
  /** Views that still owe the current filter its reveal. */
  private readonly pending = new Set<Which>();
  private readonly disposable: vscode.Disposable;
  /** The last reveal of each view (tests): the ids revealed. */
  lastRevealed: { processes: string[] } = { processes: [] };

  constructor(
    model: ViewModel,
    private readonly processesTree: ProcessesTree,
    private readonly processesView: vscode.TreeView<IpcNode>,
  ) {
    this.disposable = model.onDidChange((c) => {
      const text = model.filter.text.trim();
      if (!c.full || text === this.lastText) return;
      this.lastText = text;
      this.pending.clear();
      if (text) this.pending.add('processes');
    });
  }

  /** The workbench asked `which` view for its top level (views/treeChrome.ts calls this). */
  topLevelAsked(which: Which): void {
    // Only a view the user sees: a reveal in a folded or hidden view would open it (and move the layout).
    if (which !== 'processes' || !this.processesView.visible) return;
    if (!this.pending.delete(which)) return;
    // After this call returns: the workbench is rendering the new top level; the reveal follows it.
    setTimeout(() => void this.revealProcesses(), 0);
  }

  /** Opens the Channels groups of the first matching processes (awaitable for tests). */
  async revealProcesses(): Promise<void> {
    const out: string[] = [];
    const listed = this.processesTree.listedProcesses(REVEAL_PROCESSES);
    // a filter that matches nothing yet: the reveal waits for its first match (a process that
    // starts later), which comes with the next top level (treeChrome.ts refreshes it then)
    if (listed.length === 0 && this.lastText) this.pending.add('processes');
    for (const p of listed) {
      const section = this.processesTree.channelsSection(p);
      if (!section) continue;
      out.push(section.id);
      if (!this.processesView.visible) break;
      await this.processesView.reveal(section, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
    this.lastRevealed = { processes: out };
  }

  dispose(): void {
    this.disposable.dispose();
  }
}
