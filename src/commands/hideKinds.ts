// ipcInspector.hideKinds: multi-select of the kinds to show; writes ipcInspector.hiddenKinds.
// An array argument (kinds to hide) sets it directly.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import { CHANNEL_KINDS, isChannelKind } from '../core/model';
import type { Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.hideKinds', async (arg?: unknown) => {
    let hidden: string[];
    if (Array.isArray(arg)) {
      hidden = arg.filter(isChannelKind);
    } else {
      const current = new Set(s.model.filter.hiddenKinds);
      const counts = new Map<string, number>();
      for (const ch of s.model.snapshot?.channels ?? []) counts.set(ch.kind, (counts.get(ch.kind) ?? 0) + 1);
      const items = CHANNEL_KINDS.map((k) => ({ label: fmt.kindTitle(k), description: `${counts.get(k) ?? 0}`, kind0: k, picked: !current.has(k) }));
      let chosen: readonly (typeof items)[number][] | undefined;
      if (s.testHooks.pick) chosen = s.testHooks.pick('Kinds to show', items) as typeof items | undefined;
      else chosen = await vscode.window.showQuickPick(items, { canPickMany: true, title: 'IPC Inspector: kinds to show' });
      if (!chosen) return undefined;
      const shown = new Set(chosen.map((c) => c.kind0));
      hidden = CHANNEL_KINDS.filter((k) => !shown.has(k));
    }
    await s.filters.update('hiddenKinds', hidden);
    return hidden;
  });
}
