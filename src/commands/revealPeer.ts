// ipcInspector.revealPeer: select the other end of a pipe/FIFO endpoint, or the connected Unix /
// loopback TCP peer of a socket, in the Channels view, and keep it in view while the tree changes
// around it (as Go To's pick: goTo.ts revealSelected, views/keepInView.ts); an inspector that is
// showing follows it.
import * as vscode from 'vscode';
import { ChannelNode, EndpointNode } from '../views/nodes';
import { Services, settledSelection, targetNode } from './services';
import { inspectorTarget } from './openInspector';
import { revealSelected } from './goTo';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.revealPeer', async (arg?: unknown) => {
    // no argument: the palette, a keybinding, or a row's inline action whose element a refresh took (settledSelection)
    if (arg === undefined) await settledSelection(s.channelsView, s.processesView);
    const node = targetNode(s, arg);
    if (!(node instanceof ChannelNode || node instanceof EndpointNode)) {
      void s.ui.info('IPC Inspector: select a channel or an endpoint to reveal its peer.');
      return undefined;
    }
    // The peer in the Channels view of a node of either view (peerOf reads its channel and endpoint
    // only), found again on each refresh: tried again while a refresh wins the race, then kept in view.
    const find = () => (s.channelsTree.findChannel(node.channel.id) ? s.channelsTree.peerOf(node) : undefined);
    const peer = await revealSelected(s, s.channelsKeeper, find, true, true).catch((err: unknown) => {
      s.log.debug(`reveal peer of ${node.id}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (!peer) {
      void s.ui.info('IPC Inspector: the peer is not in view (closed, in another namespace, or hidden by the filter).');
      return undefined;
    }
    // an inspector that is showing follows to the peer, as a click on the row would (a selection
    // made by reveal runs no item command)
    if (s.channelsView.selection.some((n) => n.id === peer.id)) {
      const target = s.inspector?.visibleTarget() ? inspectorTarget(s, peer) : undefined;
      if (target) s.inspector!.open(target, { preserveFocus: true });
    }
    return peer;
  });
}
