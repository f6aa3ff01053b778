// ipcInspector.openInspector: open the inspector panel on a channel or process (from a node), or
// on one picked from a quick pick (palette).
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import type { InspectorTarget } from '../snapshotSource';
import { ChannelNode, EndpointNode, ProcessNode } from '../views/nodes';
import { ensureSnapshot, pick, Services, targetNode } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.openInspector', async (arg?: unknown) => {
    if (!s.openInspector) {
      void s.ui.info('IPC Inspector: Inspector not available yet.');
      return undefined;
    }
    let target: InspectorTarget | undefined;
    if (arg && typeof arg === 'object' && ('channelId' in arg || 'pid' in arg) && !('parent' in arg)) target = arg as InspectorTarget;
    const node = target ? undefined : targetNode(s, arg);
    if (node instanceof ChannelNode) target = { channelId: node.channel.id };
    else if (node instanceof EndpointNode) target = { channelId: node.channel.id, pid: node.endpoint.pid };
    else if (node instanceof ProcessNode) target = { pid: node.proc.pid };
    if (!target) {
      await ensureSnapshot(s);
      const items = s.model.result.channels.slice(0, 2000).map((ch) => ({
        label: fmt.escapeControl(fmt.channelLabel(ch, s.model.procs)),
        description: `${fmt.kindTitle(ch.kind)} · ${fmt.escapeControl(fmt.channelDescription(ch))}`,
        channelId: ch.id,
      }));
      const chosen = await pick(s, 'Open the inspector on which channel?', items);
      if (!chosen) return undefined;
      target = { channelId: chosen.channelId };
    }
    s.openInspector(target);
    return target;
  });
}
