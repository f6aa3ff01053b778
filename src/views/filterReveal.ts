// A text filter opens the trees to its matches (issue 11), as the Explorer's find does: when the
// filter text changes to something, the Channels view reveals the first match of each kind group
// and the Processes view expands the channel groups of the first matching processes. Each view
// does it once, when the workbench next asks it for its top level (the refresh the filter caused,
// or the view being shown later): a reveal issued before that refresh would meet the old rows.
// Never again until the filter text changes, so nothing opens after the user folds it.
import * as vscode from 'vscode';
import type { ChannelsTree } from './channelsTree';
import type { GroupNode, IpcNode } from './nodes';
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
  lastRevealed: { channels: string[]; processes: string[] } = { channels: [], processes: [] };

  constructor(
    private readonly model: ViewModel,
    private readonly channelsTree: ChannelsTree,
    private readonly processesTree: ProcessesTree,
    private readonly channelsView: vscode.TreeView<IpcNode>,
    private readonly processesView: vscode.TreeView<IpcNode>,
  ) {
    this.disposable = model.onDidChange((c) => {
      const text = model.filter.text.trim();
      if (!c.full || text === this.lastText) return;
      this.lastText = text;
      this.pending.clear();
      if (text) {
        this.pending.add('channels');
        this.pending.add('processes');
      }
    });
  }

  /** The workbench asked `which` view for its top level (views/treeChrome.ts calls this). */
  topLevelAsked(which: Which): void {
    // Only a view the user sees: a reveal in a folded or hidden view would open it (and move the layout).
    if (!(which === 'channels' ? this.channelsView : this.processesView).visible) return;
    if (!this.pending.delete(which)) return;
    // After this call returns: the workbench is rendering the new top level; the reveal follows it.
    setTimeout(() => void (which === 'channels' ? this.revealChannels() : this.revealProcesses()), 0);
  }

  /** Reveals the first match of each kind group in Channels (awaitable for tests). */
  async revealChannels(): Promise<void> {
    const out: string[] = [];
    const hidden = new Set(this.model.filter.hiddenKinds);
    const leaves: GroupNode[] = [];
    for (const top of this.channelsTree.topGroups) {
      const kids = this.channelsTree.getChildren(top);
      for (const k of kids) if (k.type === 'group' && !hidden.has(k.kinds[0])) leaves.push(k);
      if (kids.some((k) => k.type === 'channel')) leaves.push(top);
    }
    for (const g of leaves) {
      if (g.count === 0) continue;
      const first = this.channelsTree.getChildren(g).find((n) => n.type === 'channel');
      if (!first) continue;
      out.push(first.id);
      if (!this.channelsView.visible) break;
      await this.channelsView.reveal(first, { select: false, focus: false, expand: false }).then(undefined, () => undefined);
    }
    this.lastRevealed = { ...this.lastRevealed, channels: out };
  }

  /** Opens the Channels groups of the first matching processes (awaitable for tests). */
  async revealProcesses(): Promise<void> {
    const out: string[] = [];
    for (const p of this.processesTree.listedProcesses(REVEAL_PROCESSES)) {
      const section = this.processesTree.channelsSection(p);
      if (!section) continue;
      out.push(section.id);
      if (!this.processesView.visible) break;
      await this.processesView.reveal(section, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
    this.lastRevealed = { ...this.lastRevealed, processes: out };
  }

  dispose(): void {
    this.disposable.dispose();
  }
}
