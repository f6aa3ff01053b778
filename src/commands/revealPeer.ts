// ipcInspector.revealPeer: select the other end of a pipe/FIFO endpoint, or the connected Unix /
// loopback TCP peer of a socket, in the Channels view; an inspector that is showing follows it.
import * as vscode from 'vscode';
import { ChannelNode, EndpointNode } from '../views/nodes';
import { Services, targetNode } from './services';
import { inspectorTarget } from './openInspector';

/** How long one reveal waits for the view to report the peer selected before it tries again. */
const SELECTION_WAIT_MS = 2000;

/** Resolves true once the view's selection holds node `id` (now, or by its next events), false after `ms`. */
function selectionOf(view: vscode.TreeView<{ id: string }>, id: string, ms: number): Promise<boolean> {
  if (view.selection.some((n) => n.id === id)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    };
    const sub = view.onDidChangeSelection((e) => {
      if (e.selection.some((n) => n.id === id)) done(true);
    });
    const timer = setTimeout(() => done(view.selection.some((n) => n.id === id)), ms);
  });
}

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
    // on the refreshed nodes, at most three times, until the peer is the selection. The view reports
    // a selection by an event that may come after reveal() resolves: each try waits for it a while.
    let peer = find();
    for (let attempt = 0; peer && attempt < 3; attempt++) {
      try {
        const id = peer.id;
        const selected = selectionOf(s.channelsView, id, SELECTION_WAIT_MS);
        await s.channelsView.reveal(peer, { select: true, focus: true, expand: true });
        if (await selected) {
          // an inspector that is showing follows to the peer, as a click on the row would (a
          // selection made by reveal runs no item command)
          const target = s.inspector?.visibleTarget() ? inspectorTarget(s, peer) : undefined;
          if (target) s.inspector!.open(target, { preserveFocus: true });
          return peer;
        }
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
