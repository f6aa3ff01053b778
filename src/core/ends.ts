// The other end of a channel or of one endpoint, from the kind's descriptor: a one-way channel's
// ends face each other by mode (a pipe's writers and readers); a connected socket's other end is
// its peer channel when both were seen. Shared by the views (Reveal Peer, the hasPeer menus) and
// the diagnosis (who could unblock a writer). Pure.
import type { Channel, Endpoint } from './model';
import { describe } from './kinds';

/** The endpoints on the other side of `ep` within a one-way channel (complementary mode, another fd or mapping); none for other kinds. */
export function endpointPeers(ch: Channel, ep: Endpoint): Endpoint[] {
  if (describe(ch).ends !== 'flow') return [];
  const same = (a: Endpoint) => a.pid === ep.pid && a.fd === ep.fd && a.map === ep.map;
  return ch.endpoints.filter((o) => {
    if (same(o)) return false;
    if (ep.mode === 'rw' || o.mode === 'rw') return true;
    return o.mode !== ep.mode;
  });
}

/** The channel id of the other end of a connected socket, when it is in `channels`. */
export function peerChannelId(ch: Channel, channels: { has(id: string): boolean }): string | undefined {
  const peer = describe(ch).peer(ch);
  return peer !== undefined && channels.has(peer) ? peer : undefined;
}
