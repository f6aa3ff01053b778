// The other end of a channel or of one endpoint, from the kind's descriptor: a one-way channel's
// ends face each other by mode (a pipe's writers and readers), a two-sided one's by role (a pty's
// masters and slaves); a connected socket's other end is
// its peer channel when both were seen. Shared by the views (Reveal Peer, the hasPeer menus) and
// the diagnosis (who could unblock a writer). Pure.
import type { Channel, Endpoint } from './model';
import { describe } from './kinds';

/** The endpoints on the other side of `ep` within a one-way channel (complementary mode, another fd or mapping); none for other kinds. */
export function endpointPeers(ch: Channel, ep: Endpoint): Endpoint[] {
  const ends = describe(ch).ends;
  // two-sided (a pty): the other side's endpoints
  if (ends === 'sides') return ep.role === undefined ? [] : ch.endpoints.filter((o) => o.role !== undefined && o.role !== ep.role);
  if (ends !== 'flow') return [];
  const same = (a: Endpoint) => a.pid === ep.pid && a.fd === ep.fd && a.map === ep.map;
  return ch.endpoints.filter((o) => {
    if (same(o)) return false;
    if (ep.mode === 'rw' || o.mode === 'rw') return true;
    return o.mode !== ep.mode;
  });
}

/** How many endpoints of each mode a list has, counted once per list (snapshots replace a changed channel's list). */
const modeCounts = new WeakMap<readonly Endpoint[], { r: number; w: number; rw: number }>();

/**
 * Whether endpointPeers(ch, ep) is not empty, in constant time: a tree asks it of every endpoint
 * node it renders, and endpointPeers scans every endpoint — a channel held through 200,000 fds
 * made a node's 2,000 children 400 million steps. `ep` is one of `ch`'s endpoints.
 */
export function hasEndpointPeer(ch: Channel, ep: Endpoint): boolean {
  const ends = describe(ch).ends;
  if (ends === 'sides') return ep.role !== undefined && sideCount(ch, ep.role === 'master' ? 'slave' : 'master') > 0;
  if (ends !== 'flow') return false;
  let n = modeCounts.get(ch.endpoints);
  if (!n) {
    n = { r: 0, w: 0, rw: 0 };
    for (const e of ch.endpoints) n[e.mode]++;
    modeCounts.set(ch.endpoints, n);
  }
  // another endpoint of the complementary mode, or any other one when either side reads and writes
  if (ep.mode === 'rw') return ch.endpoints.length > 1;
  return (ep.mode === 'r' ? n.w : n.r) + n.rw > 0;
}

/** How many endpoints of each role a list has, counted once per list (as modeCounts). */
const roleCounts = new WeakMap<readonly Endpoint[], { master: number; slave: number }>();

function sideCount(ch: Channel, role: 'master' | 'slave'): number {
  let n = roleCounts.get(ch.endpoints);
  if (!n) {
    n = { master: 0, slave: 0 };
    for (const e of ch.endpoints) if (e.role) n[e.role]++;
    roleCounts.set(ch.endpoints, n);
  }
  return n[role];
}

/** The channel id of the other end of a connected socket, when it is in `channels`. */
export function peerChannelId(ch: Channel, channels: { has(id: string): boolean }): string | undefined {
  const peer = describe(ch).peer(ch);
  return peer !== undefined && channels.has(peer) ? peer : undefined;
}
