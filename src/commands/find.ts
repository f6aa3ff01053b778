// ipcInspector.find: find channels by port (`:8080` or `8080`), path, name or SysV key, pick one,
// reveal it in the Channels view. A string argument skips the input box; with one match it is
// revealed directly.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import { matchesText } from '../views/filter';
import { ChannelNode } from '../views/nodes';
import { ensureSnapshot, pick, Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.find', async (arg?: unknown) => {
    await ensureSnapshot(s);
    const query =
      typeof arg === 'string'
        ? arg
        : await vscode.window.showInputBox({ title: 'Find IPC channel', prompt: 'Port (:8080), path (/run/app.sock), name (/myqueue) or SysV key (0x1234abcd)' });
    if (!query?.trim()) return undefined;
    const matches = s.model.result.channels.filter((ch) => matchesText(ch, query, s.model.procs));
    if (!matches.length) {
      const hidden = (s.model.snapshot?.channels ?? []).filter((ch) => matchesText(ch, query, s.model.procs)).length;
      void s.ui.info(
        `IPC Inspector: nothing matches “${query}”${hidden ? ` in view (${hidden} hidden by the filter or scope)` : ''}.`,
      );
      return undefined;
    }
    let target = matches[0];
    if (matches.length > 1 && typeof arg !== 'string') {
      const items = matches.slice(0, 500).map((ch) => ({
        label: fmt.escapeControl(fmt.channelLabel(ch, s.model.procs)),
        description: `${fmt.kindTitle(ch.kind)} · ${fmt.escapeControl(fmt.channelDescription(ch))}`,
        ch,
      }));
      const chosen = await pick(s, `${matches.length} channels match “${query}”`, items);
      if (!chosen) return undefined;
      target = chosen.ch;
    }
    const node: ChannelNode | undefined = s.channelsTree.findChannel(target.id);
    if (node) await s.channelsView.reveal(node, { select: true, focus: true, expand: true });
    return node;
  });
}
