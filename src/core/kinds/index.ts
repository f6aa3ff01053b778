// The kind registry: one descriptor per IPC kind (core/kinds/<kind>.ts), in the canonical order
// of a snapshot (pipes first, sockets last). Adding a kind: its file, one line in the union, one
// in KINDS (a kind in the union without an entry is a compile error), and the `hiddenKinds`
// enum in package.json (a unit test compares it with CHANNEL_KINDS). Process facets are fd
// classes that describe processes rather than channels (a signalfd).
import type { FdClass, FdRule, KindDescriptor, MapsRule, ProcessFacet } from './kind';
import { SKIP_LINKS } from './fds';
import { pipe, type PipeChannel } from './pipe';
import { fifo, type FifoChannel } from './fifo';
import { sysvMsg, type SysvMsgChannel } from './sysvMsg';
import { posixMq, type PosixMqChannel } from './posixMq';
import { sysvShm, type SysvShmChannel } from './sysvShm';
import { posixShm, type PosixShmChannel } from './posixShm';
import { anonShm, type AnonShmChannel } from './anonShm';
import { fileShm, type FileShmChannel } from './fileShm';
import { sysvSem, type SysvSemChannel } from './sysvSem';
import { posixSem, type PosixSemChannel } from './posixSem';
import { unix, type UnixChannel } from './unix';
import { tcp } from './tcp';
import { udp } from './udp';
import { raw, type RawChannel } from './raw';
import { packet, type PacketChannel } from './packet';
import { ping, type PingChannel } from './ping';
import { netlink, type NetlinkChannel } from './netlink';
import { eventfd, type EventfdChannel } from './eventfd';
import { pty, type PtyChannel } from './pty';
import { signalfd } from './signalfd';
import type { TcpChannel, UdpChannel } from './inet';

export type { PipeChannel, FifoChannel, SysvMsgChannel, PosixMqChannel, SysvShmChannel, PosixShmChannel, AnonShmChannel, FileShmChannel, SysvSemChannel, PosixSemChannel, UnixChannel, TcpChannel, UdpChannel, RawChannel, PacketChannel, PingChannel, NetlinkChannel, EventfdChannel, PtyChannel };
export type { InetChannel } from './inet';
export type { PacketRing } from './packet';
export type { UnixType } from './unix';

export type Channel =
  | PipeChannel
  | FifoChannel
  | SysvMsgChannel
  | PosixMqChannel
  | SysvShmChannel
  | PosixShmChannel
  | AnonShmChannel
  | FileShmChannel
  | SysvSemChannel
  | PosixSemChannel
  | UnixChannel
  | TcpChannel
  | UdpChannel
  | RawChannel
  | PacketChannel
  | PingChannel
  | NetlinkChannel
  | EventfdChannel
  | PtyChannel;

export type ChannelKind = Channel['kind'];

/** The channel type of one kind. */
export type ChannelOf<K extends ChannelKind> = Extract<Channel, { kind: K }>;

/** Every kind's descriptor, in canonical order. */
export const KINDS: { readonly [K in ChannelKind]: KindDescriptor<ChannelOf<K>> } = {
  pipe,
  fifo,
  'sysv-msg': sysvMsg,
  'posix-mq': posixMq,
  'sysv-shm': sysvShm,
  'posix-shm': posixShm,
  'anon-shm': anonShm,
  'file-shm': fileShm,
  'sysv-sem': sysvSem,
  'posix-sem': posixSem,
  unix,
  tcp,
  udp,
  raw,
  packet,
  ping,
  netlink,
  eventfd,
  pty,
};

/** Process facets: fds that tell something about their process, not a channel. */
export const PROCESS_FACETS: readonly ProcessFacet[] = [signalfd];

/** The kinds in canonical order. */
export const CHANNEL_KINDS: readonly ChannelKind[] = Object.keys(KINDS) as ChannelKind[];

export function isChannelKind(v: unknown): v is ChannelKind {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(KINDS, v);
}

/**
 * The descriptor of a kind, typed for any channel: it is only ever called with channels of its
 * own kind (kindOf(ch.kind).name(ch)), which the per-kind record cannot express to the compiler.
 */
export function kindOf(kind: ChannelKind): KindDescriptor<Channel> {
  return KINDS[kind] as unknown as KindDescriptor<Channel>;
}

/** The descriptor of a channel's kind. */
export function describe(ch: Channel): KindDescriptor<Channel> {
  return KINDS[ch.kind] as unknown as KindDescriptor<Channel>;
}

/** Does its kind fold it away (kind.fold: a TCP connection its process closed)? */
export function isFolded(ch: Channel): boolean {
  return describe(ch).fold?.holds(ch) ?? false;
}

/** Kind of an id (`kind:rest`), or undefined when the prefix names no kind. */
export function kindOfId(id: string): ChannelKind | undefined {
  const k = id.slice(0, Math.max(0, id.indexOf(':')));
  return isChannelKind(k) ? k : undefined;
}

/**
 * Is this a channel id of some kind, of that kind's shape? (Untrusted input: the webview, the CLI.)
 * The longest real one is another IPC namespace's POSIX queue whose 255-byte name is not UTF-8:
 * `posix-mq:ns/MAJ:MIN/bytes/` and 510 hex digits, at most 541 characters.
 */
export function isChannelId(id: unknown, maxLength = 544): id is string {
  if (typeof id !== 'string' || id.length > maxLength || id.includes('\0')) return false;
  const kind = kindOfId(id);
  return kind !== undefined && KINDS[kind].idShape.test(id.slice(kind.length + 1));
}

// ------------------------------------------------------------------ what the walk must report

/** The fd classes the walk must report for these kinds (and every process facet's), each once. */
export function fdClassesFor(kinds: Iterable<ChannelKind>): FdClass[] {
  const out: FdClass[] = [];
  for (const k of kinds) {
    const d = KINDS[k];
    for (const f of [...(d.fds ? [d.fds] : []), ...(d.moreFds ?? [])]) if (!out.includes(f)) out.push(f);
  }
  for (const p of PROCESS_FACETS) if (!out.includes(p.fds)) out.push(p.fds);
  return out;
}

/** What the walk must report for these kinds (ProcWalkOptions fdRules, mapsRules, skipLinks). */
export function walkRulesFor(kinds: Iterable<ChannelKind>): { fdRules: FdRule[]; mapsRules: MapsRule[]; skipLinks: readonly string[] } {
  const list = [...kinds];
  const fdRules = fdClassesFor(list).map((c) => c.rule);
  // a rule for device nodes (ptys) must see devpts links: the skip is only for walks that want none
  const skipLinks = fdRules.some((r) => r.type === 'chr') ? [] : SKIP_LINKS;
  return { fdRules, mapsRules: mapsRulesFor(list), skipLinks };
}

const sameMapsRule = (a: MapsRule, b: MapsRule) =>
  a.text === b.text && !!a.shared === !!b.shared && a.max === b.max && (a.except ?? []).join('\0') === (b.except ?? []).join('\0');

/** The maps lines the walk must keep for these kinds. */
export function mapsRulesFor(kinds: Iterable<ChannelKind>): MapsRule[] {
  const out: MapsRule[] = [];
  for (const k of kinds) for (const r of KINDS[k].maps ?? []) if (!out.some((o) => sameMapsRule(o, r))) out.push(r);
  return out;
}

const ALL_MAPS_RULES = mapsRulesFor(CHANNEL_KINDS);

/**
 * Whether `rules` are every kind's maps rules: the lines the BPF walk keeps on its own
 * (native/src/bpf/procfacts.cc KeepMapsLines, for the pass and for /proc/PID/maps alike), so
 * filtering its text by them again changes nothing.
 */
export function isEveryMapsRule(rules: readonly MapsRule[]): boolean {
  return rules.length === ALL_MAPS_RULES.length && ALL_MAPS_RULES.every((r) => rules.some((o) => sameMapsRule(o, r)));
}

/** Kinds in tree-group order: the groups and, inside, each kind with its sub-group label. */
export interface KindGroup {
  id: string;
  label: string;
  kinds: ChannelKind[];
  /** Sub-group label by kind, when the group holds several kinds. */
  sub?: Partial<Record<ChannelKind, string>>;
}

export const KIND_GROUPS: readonly KindGroup[] = (() => {
  const groups: KindGroup[] = [];
  for (const k of CHANNEL_KINDS) {
    const g = KINDS[k].group;
    let group = groups.find((x) => x.id === g.id);
    if (!group) groups.push((group = { id: g.id, label: g.label, kinds: [] }));
    group.kinds.push(k);
  }
  for (const group of groups) {
    if (group.kinds.length < 2) continue;
    group.sub = {};
    for (const k of group.kinds) group.sub[k] = KINDS[k].group.sub ?? KINDS[k].title;
  }
  return groups;
})();
