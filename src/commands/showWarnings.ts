// ipcInspector.showWarnings: what the status bar item opens — a quick pick of the current
// warnings (statusBar.ts), one per problem. Moving through the list reveals each channel in the
// Channels view (the list keeps the focus); accepting one selects it there and opens the
// inspector on it beside the tree.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import type { Channel } from '../core/model';
import { Services } from './services';
import { revealSelected } from './goTo';
import { plural } from '../core/text';

interface WarningItem extends vscode.QuickPickItem {
  channel: Channel;
}

export function register(s: Services): vscode.Disposable {
  // (a reveal can lose a race with a refresh of the tree, as the first match of a filter brings one: tried again)
  const reveal = (ch: Channel, focus: boolean) => revealSelected(s, s.channelsKeeper, () => s.channelsTree.findChannel(ch.id), focus);
  return vscode.commands.registerCommand('ipcInspector.showWarnings', async () => {
    const list = s.statusBar?.list() ?? [];
    if (!list.length) {
      void s.ui.info('IPC Inspector: no warnings about the channels in view.');
      return undefined;
    }
    const items: WarningItem[] = list.map((w) => ({
      label: w.text,
      description: `${fmt.kindTitle(w.channel.kind)} ${fmt.channelLabel(w.channel, s.model.procs)}`,
      iconPath: new vscode.ThemeIcon('warning'),
      channel: w.channel,
    }));
    const title = `IPC Inspector: ${plural(list.length, 'warning')}`;
    const chosen = await s.ui.livePick<WarningItem>({
      title,
      placeholder: 'Pick a warning to inspect its channel',
      items: () => ({ items }),
      live: false,
      onActive: (item) => void reveal(item.channel, false),
    });
    if (!chosen) return undefined;
    const node = await reveal(chosen.channel, true);
    s.inspector?.open({ channelId: chosen.channel.id }, { preserveFocus: !!node });
    return chosen.channel.id;
  });
}
