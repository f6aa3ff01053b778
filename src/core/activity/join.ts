// Raw tracer counters → rates by the snapshot's channel ids, per process and per process pair.
// Ids come from the kernel identities the tracer keys by (a pipe's inode, a FIFO's dev:inode, a
// socket's inode, a msqid, a POSIX queue's name), so they are the snapshot's ids even for a
// channel the snapshot missed; the snapshot adds what the counters cannot know: a socket's peer
// (loopback TCP/UDP pairs, Unix peers) and who holds a channel nobody read from yet.
//
// Pairs: traffic into a receiving channel (a pipe itself; for a socket, its peer) goes from each
// sender to each process that read from that channel in the interval. One sender or one receiver
// is exact; several of both split each sender's bytes by the receivers' shares (`estimated`).
import type { Channel, Snapshot } from '../model';
import { devName } from '../probes/context';
import { DIR_SEND, TracerKind, type TracerCounters } from './tracer';
import type { ActivityCounts, ActivityKind, ChannelActivity, PairActivity, ProcessActivity } from './types';

/** One counter row, decoded (tracer.ts TracerCounters is the columnar form). */
export interface CounterRow {
  kind: TracerKind;
  dir: number;
  pid: number;
  ino: number;
  dev: number;
  bytes: number;
  ops: number;
  peer: number;
}

export function counterRows(c: TracerCounters): CounterRow[] {
  const out: CounterRow[] = [];
  for (let i = 0; i < c.kind.length; i++) {
    out.push({ kind: c.kind[i], dir: c.dir[i], pid: c.pid[i], ino: c.ino[i], dev: c.dev[i], bytes: c.bytes[i], ops: c.ops[i], peer: c.peer[i] });
  }
  return out;
}

/** Adds `more` into `into` (same key → summed; a later peer wins). */
export function mergeRows(into: Map<string, CounterRow>, more: readonly CounterRow[]): void {
  for (const r of more) {
    const k = `${r.kind}/${r.dir}/${r.pid}/${r.ino}/${r.dev}`;
    const have = into.get(k);
    if (!have) into.set(k, { ...r });
    else {
      have.bytes += r.bytes;
      have.ops += r.ops;
      if (r.peer) have.peer = r.peer;
    }
  }
}

export interface JoinContext {
  /** The IPC namespace inode number of this process (SysV ids and POSIX names are per namespace). */
  ipcNs: number;
  /** POSIX queues by `ino/dev`: the part of their channel id after `posix-mq:` (the name, or `bytes/HEX` — core/posixNames.ts). */
  mqNames: ReadonlyMap<string, string>;
  /** Another IPC namespace's POSIX queue by that namespace's inode number and the queue's inode: its snapshot id (`posix-mq:ns/DEV/NAME`), when listed. */
  otherMq?: (ipcNs: number, ino: number) => string | undefined;
}

/**
 * Other IPC namespaces' POSIX queues of a snapshot, by (namespace, inode), for JoinContext.otherMq.
 * Built on the first question only: a sample with no such traffic never walks the channels.
 */
export function otherMqLookup(snapshot: Snapshot | null): (ipcNs: number, ino: number) => string | undefined {
  let index: Map<string, string> | undefined;
  return (ipcNs, ino) => {
    if (!snapshot) return undefined;
    if (!index) {
      index = new Map();
      const nsOf = new Map(snapshot.processes.map((p) => [p.pid, p.ipcns]));
      for (const c of snapshot.channels) {
        if (c.kind !== 'posix-mq' || !c.otherNamespace || c.inode === undefined) continue;
        for (const e of c.endpoints) {
          const ns = nsOf.get(e.pid);
          if (ns) index.set(`${ns}/${c.inode}`, c.id);
        }
      }
    }
    return index.get(`${ipcNs}/${ino}`);
  };
}

const KIND_OF: Record<number, ActivityKind> = {
  [TracerKind.Pipe]: 'pipe',
  [TracerKind.Fifo]: 'fifo',
  [TracerKind.Unix]: 'unix',
  [TracerKind.Tcp]: 'tcp',
  [TracerKind.Udp]: 'udp',
  [TracerKind.SysvMsg]: 'sysv-msg',
  [TracerKind.PosixMq]: 'posix-mq',
};

/** The snapshot's id of what a counter row counts, or null (another IPC namespace's POSIX queue the snapshot does not list, a queue without a name). */
export function channelIdOf(r: CounterRow, ctx: JoinContext): string | null {
  switch (r.kind) {
    case TracerKind.Pipe:
      return `pipe:${r.ino}`;
    case TracerKind.Fifo:
      return `fifo:${devName(r.dev)}:${r.ino}`;
    case TracerKind.Unix:
      return `unix:${r.ino}`;
    case TracerKind.Tcp:
      return `tcp:${r.ino}`;
    case TracerKind.Udp:
      return `udp:${r.ino}`;
    case TracerKind.SysvMsg:
      // another IPC namespace's queue has the id the snapshot lists it by (probes/sysv.ts)
      return r.dev === ctx.ipcNs ? `sysv-msg:${r.ino}` : `sysv-msg:ns/${r.dev}/${r.ino}`;
    case TracerKind.PosixMq: {
      if (r.dev !== ctx.ipcNs) return ctx.otherMq?.(r.dev, r.ino) ?? null;
      const name = ctx.mqNames.get(`${r.ino}/${r.dev}`);
      return name === undefined ? null : `posix-mq:${name}`;
    }
    default:
      return null;
  }
}

const SOCKET_KINDS: ReadonlySet<ActivityKind> = new Set(['unix', 'tcp', 'udp']);
const zero = (): ActivityCounts => ({ bytes: 0, ops: 0 });

/** Throughput of a channel: one-way kinds count a byte once; a socket end counts both directions. */
export function throughput(kind: ActivityKind, sent: ActivityCounts, received: ActivityCounts, seconds: number): { bytesPerSec: number; opsPerSec: number } {
  if (seconds <= 0) return { bytesPerSec: 0, opsPerSec: 0 };
  if (SOCKET_KINDS.has(kind)) return { bytesPerSec: (sent.bytes + received.bytes) / seconds, opsPerSec: (sent.ops + received.ops) / seconds };
  return { bytesPerSec: Math.max(sent.bytes, received.bytes) / seconds, opsPerSec: Math.max(sent.ops, received.ops) / seconds };
}

export interface JoinResult {
  channels: Record<string, ChannelActivity>;
  pairs: PairActivity[];
  unmatched: ActivityCounts & { counters: number };
}

/** Pids holding the receiving end of a channel nobody read from yet (pipes/FIFOs/POSIX queues: read ends; sockets: every holder). */
function holders(ch: Channel | undefined): number[] {
  if (!ch) return [];
  const readEnd = ch.kind === 'pipe' || ch.kind === 'fifo' || ch.kind === 'posix-mq';
  return [...new Set(ch.endpoints.filter((e) => !readEnd || e.mode !== 'w').map((e) => e.pid))];
}

/** A snapshot, or a lookup of its channels by id (the extension keeps one up to date: no O(channels) pass per sample). */
export type ChannelSource = Snapshot | ((id: string) => Channel | undefined) | null;

export function channelLookup(src: ChannelSource): (id: string) => Channel | undefined {
  if (!src) return () => undefined;
  if (typeof src === 'function') return src;
  let map: Map<string, Channel> | undefined;
  return (id) => {
    if (!map) {
      map = new Map();
      for (const c of src.channels) map.set(c.id, c);
    }
    return map.get(id);
  };
}

export function joinCounters(rows: Iterable<CounterRow>, snapshot: ChannelSource, intervalMs: number, ctx: JoinContext): JoinResult {
  const seconds = intervalMs / 1000;
  const lookup = channelLookup(snapshot);
  const byId = { has: (id: string) => lookup(id) !== undefined, get: lookup };
  const channels: Record<string, ChannelActivity> = Object.create(null) as Record<string, ChannelActivity>;
  const procs = new Map<string, Map<number, ProcessActivity>>();
  const bpfPeer = new Map<string, string>();
  const unmatched = { bytes: 0, ops: 0, counters: 0 };

  for (const r of rows) {
    const id = channelIdOf(r, ctx);
    const kind = KIND_OF[r.kind];
    if (!id || !kind) {
      unmatched.bytes += r.bytes;
      unmatched.ops += r.ops;
      unmatched.counters++;
      continue;
    }
    let ch = channels[id];
    if (!ch) {
      ch = channels[id] = { channelId: id, kind, sent: zero(), received: zero(), bytesPerSec: 0, opsPerSec: 0, processes: [], inSnapshot: byId.has(id) };
      procs.set(id, new Map());
    }
    const pm = procs.get(id)!;
    let p = pm.get(r.pid);
    if (!p) pm.set(r.pid, (p = { pid: r.pid, sent: zero(), received: zero() }));
    const side = r.dir === DIR_SEND ? 'sent' : 'received';
    ch[side].bytes += r.bytes;
    ch[side].ops += r.ops;
    p[side].bytes += r.bytes;
    p[side].ops += r.ops;
    if (r.kind === TracerKind.Unix && r.peer) bpfPeer.set(id, `unix:${r.peer}`);
  }
  for (const [id, ch] of Object.entries(channels)) {
    ch.processes = [...procs.get(id)!.values()].sort((a, b) => a.pid - b.pid);
    Object.assign(ch, throughput(ch.kind, ch.sent, ch.received, seconds));
  }

  // flows into each receiving channel
  interface Inflow { pid: number; channelId: string; bytes: number; ops: number }
  const inflows = new Map<string, Inflow[]>();
  for (const ch of Object.values(channels)) {
    let into = ch.channelId;
    if (SOCKET_KINDS.has(ch.kind)) {
      const snap = byId.get(ch.channelId) as { peer?: string } | undefined;
      const peer = snap?.peer ?? bpfPeer.get(ch.channelId);
      if (!peer) continue; // the other end is not on this machine (or not known): no pair
      into = peer;
    }
    for (const p of ch.processes) {
      if (p.sent.bytes === 0 && p.sent.ops === 0) continue;
      const list = inflows.get(into) ?? [];
      list.push({ pid: p.pid, channelId: ch.channelId, bytes: p.sent.bytes, ops: p.sent.ops });
      inflows.set(into, list);
    }
  }
  const pairs: PairActivity[] = [];
  for (const [into, senders] of inflows) {
    const recvCh = channels[into];
    const traced = (recvCh?.processes ?? []).filter((p) => p.received.bytes > 0 || p.received.ops > 0);
    let receivers: Array<{ pid: number; share: number; bytes: number }>;
    let from: PairActivity['receiverFrom'];
    if (traced.length > 0) {
      const total = traced.reduce((n, p) => n + p.received.bytes, 0);
      receivers = traced.map((p) => ({ pid: p.pid, share: total > 0 ? p.received.bytes / total : 1 / traced.length, bytes: p.received.bytes }));
      from = 'traced';
    } else {
      // a sender that holds the read end too (O_RDWR) is a reader only when no one else is
      const all = holders(byId.get(into));
      const others = all.filter((pid) => !senders.some((s) => s.pid === pid));
      const h = others.length > 0 ? others : all;
      if (h.length === 0) continue; // queued, and no one holds the receiving end
      receivers = h.map((pid) => ({ pid, share: 1 / h.length, bytes: 0 }));
      from = 'holders';
    }
    for (const s of senders) {
      for (const r of receivers) {
        const exact = receivers.length === 1 || (senders.length === 1 && from === 'traced');
        const bytes = receivers.length === 1 ? s.bytes : senders.length === 1 && from === 'traced' ? r.bytes : s.bytes * r.share;
        const ops = receivers.length === 1 ? s.ops : s.ops * r.share;
        const kind = channels[s.channelId].kind;
        pairs.push({
          from: s.pid,
          to: r.pid,
          channelId: s.channelId,
          ...(into !== s.channelId ? { peerChannelId: into } : {}),
          kind,
          bytes,
          ops,
          bytesPerSec: seconds > 0 ? bytes / seconds : 0,
          opsPerSec: seconds > 0 ? ops / seconds : 0,
          receiverFrom: from,
          ...(exact ? {} : { estimated: true }),
        });
      }
    }
  }
  pairs.sort((a, b) => b.bytes - a.bytes || a.from - b.from || a.to - b.to);
  return { channels, pairs, unmatched };
}
