// ipcInspector.revealPeer: select the other end of a pipe/FIFO endpoint, or the connected Unix /
// loopback TCP peer of a socket, in the Channels view.
import * as vscode from 'vscode';
import { ChannelNode, EndpointNode } from '../views/nodes';
import { Services, targetNode } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.revealPeer', async (arg?: unknown) => {
    const node = targetNode(s, arg);
    if (!(node instanceof ChannelNode || node instanceof EndpointNode)) {
      void s.ui.info('IPC Inspector: select a channel or an endpoint to reveal its peer.');
      return undefined;
    }
    // The peer in the Channels view of a node of either view (peerOf reads its channel and endpoint only).
    const find = () => (s.channelsTree.findChannel(node.channel.id) ? s.channelsTree.peerOf(node) : undefined);
    // A reveal can lose a race with a refresh of the tree (as in goTo.ts's revealEntry): try again
    // on the refreshed nodes, at most three times, until the peer is the selection.
    let peer = find();
    for (let attempt = 0; peer && attempt < 3; attempt++) {
      try {
        await s.channelsView.reveal(peer, { select: true, focus: true, expand: true });
        if (s.channelsView.selection.some((n) => n.id === peer!.id)) return peer;
      } catch (err) {
        s.log.debug(`reveal peer ${peer.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
      peer = find();
    }
    if (!peer) {
      void s.ui.info('IPC Inspector: the peer is not in view (closed, in another namespace, or hidden by the filter).');
      return undefined;
    }
    return peer;
  });
}
