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
    // Map a node of either view onto the Channels view's node for the same channel/endpoint.
    const chNode = s.channelsTree.findChannel(node.channel.id);
    const own = chNode && node instanceof EndpointNode ? s.channelsTree.endpointNode(chNode, node.endpoint) : chNode;
    const peer = own ? s.channelsTree.peerOf(own) : undefined;
    if (!peer) {
      void s.ui.info('IPC Inspector: the peer is not in view (closed, in another namespace, or hidden by the filter).');
      return undefined;
    }
    await s.channelsView.reveal(peer, { select: true, focus: true, expand: true });
    return peer;
  });
}
