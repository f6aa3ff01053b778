// Links to processes: one naming everywhere (`comm[pid]`, core/format processLabel); a click or
// Enter opens the process in the inspector (the host checks the pid is one it showed). And the
// link to a channel's other end, named by its id and its holders.
import { processLabel } from '../src/core/format';
import type { ProcessInfo } from '../src/core/model';
import type { ChannelView } from '../src/webviews/inspector/protocol';
import { h, linkButton } from './dom';
import { post } from './state';

/** A link that opens a process in the inspector, named `comm[pid]` (or `[pid]` when its name is unknown). */
export function pidLink(pid: number, comm: string | undefined, id?: string): HTMLElement {
  const label = comm !== undefined ? processLabel(pid, { comm } as ProcessInfo) : `[${pid}]`;
  return linkButton(label, () => post({ type: 'inspect', pid }), `Inspect process ${pid}`, id);
}

/** The Peer fact: the other end's id as a link that opens it in the inspector, then who holds it. */
export function peerLink(peer: NonNullable<ChannelView['peer']>): HTMLElement {
  return h('span', {}, linkButton(peer.id, () => post({ type: 'inspect', channelId: peer.id }), `Inspect the other end, ${peer.id}`, 'fact-peer-link'), h('span', { class: 'muted' }, ` \u2014 ${peer.holders}`));
}
