// A text filter opens the trees to its matches (issue 11), as the Explorer's find does: when the
// filter text changes to something, the Channels view reveals the first match of each kind group
// and the Processes view expands the channel groups of the first matching processes. Only on a
// change of the filter text (and once more on the scan after it, in case the first reveal met
// the trees mid-refresh) — never later, so nothing opens under the user's hands.
import * as vscode from 'vscode';
import type { ChannelsTree } from './channelsTree';
import type { GroupNode, IpcNode } from './nodes';
import type { ProcessesTree } from './processesTree';
import type { ViewModel } from './viewModel';

/** Processes whose channel groups a filter opens (more would flood a narrow view). */
export const REVEAL_PROCESSES = 8;

export class FilterReveal implements vscode.Disposable {
  private lastText = '';
  /** A reveal issued while the trees re-render for the new filter may find rows not yet there: once more on the next scan. */
  private again = false;
  private readonly disposable: vscode.Disposable;
  /** The last reveal (tests): ids revealed in each view. */
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
      if (!c.full && this.again && text === this.lastText) {
        this.again = false;
        if (text) void this.reveal();
        return;
      }
      if (!c.full || text === this.lastText) return;
      this.lastText = text;
      this.again = !!text;
      if (text) void this.reveal();
    });
  }

  /** Reveals the matches of the current filter (awaitable for tests). */
  async reveal(): Promise<void> {
    const channels: string[] = [];
    const processes: string[] = [];
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
      channels.push(first.id);
      if (this.channelsView.visible) await this.channelsView.reveal(first, { select: false, focus: false, expand: false }).then(undefined, () => undefined);
    }
    for (const p of this.processesTree.listedProcesses(REVEAL_PROCESSES)) {
      const section = this.processesTree.channelsSection(p);
      if (!section) continue;
      processes.push(section.id);
      if (this.processesView.visible) await this.processesView.reveal(section, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
    this.lastRevealed = { channels, processes };
  }

  dispose(): void {
    this.disposable.dispose();
  }
}
