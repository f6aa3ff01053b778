// Unix domain sockets (probes/sockets.ts): sock_diag per network namespace (peers, queues, the
// bound file), else /proc/net/unix; socket fds (`socket:[INODE]`) are their endpoints.
import type { ChannelBase } from '../model';
import { col, mntnsColumn } from '../columns';
import { formatBytes, shortText } from '../text';
import { SOCKET_FDS } from './fds';
import { DATAGRAM_PAGES, defineKind, inodeOfSimpleId, noMentions, noOwner, notRemovable, otherMntns, QUEUE_PAGES, unheldSocket } from './kind';

export type UnixType = 'stream' | 'dgram' | 'seqpacket';

export interface UnixChannel extends ChannelBase {
  kind: 'unix';
  inode: number;
  type: UnixType;
  /** Filesystem path when bound to one: the binder's name for it (relative to its cwd when it gave a relative one). */
  path?: string;
  /**
   * With `path`, present only when every process holding it is in another mount namespace than
   * the snapshot's: the first one's (the path is a name there; here it may name another file, or none).
   */
  mntns?: string;
  /**
   * With a relative `path` (bound as `private/smtp`, relative to the binder's working directory
   * then, as Postfix's master does): the absolute path it names, when a holder's working
   * directory joined with it leads to the bound file (`boundDev`:`boundInode`; native only). With
   * an absolute `path` bound by a chrooted process of our namespace: the path as our root reaches
   * it, when a holder's root joined with it leads to the bound file.
   */
  pathResolved?: string;
  /** Abstract name (without the leading NUL / `@`) when bound in the abstract namespace. */
  abstract?: string;
  /** The bytes (hex) of `path` or `abstract` when they are not UTF-8 (the text then has U+FFFD for them): views show the name by its bytes, `@q\xff`. */
  nameBytes?: string;
  /**
   * `listen`, `connected`, `unconnected`, `connecting`, `disconnecting`; `peer closed` when it is
   * connected to an end that was closed (native only): the kernel still references that end, with
   * no inode (ss: peer `* 0`) — a write fails (EPIPE, or ECONNREFUSED for a datagram), a stream
   * read returns what is queued, then EOF.
   */
  state: string;
  /** Channel id of the other end (`unix:INODE`), when connected. */
  peer?: string;
  peerInode?: number;
  /**
   * What was shut down on this socket (UNIX_DIAG_SHUTDOWN; native only): `read` (SHUT_RD, or the
   * peer shut its sending side), `write` (SHUT_WR), `both` (a stream whose peer closed). Absent
   * when neither was, as ss -e's `<->`.
   */
  shutdown?: 'read' | 'write' | 'both';
  /**
   * A connection not accepted yet (connected, its other end still in a listener's accept queue,
   * which has no inode: `ss` says `* 0`): the listener's id (sock_diag UNIX_DIAG_ICONS, native only).
   */
  acceptQueue?: string;
  /**
   * What the kernel reports as the receive queue (UNIX_DIAG_RQLEN): stream and seqpacket — bytes
   * waiting to be read; dgram — the length of the FIRST waiting datagram (not how many wait, nor
   * their total); a listener — connections waiting for accept(). null without sock_diag.
   */
  recvQueue: number | null;
  /**
   * What it sent that the peer has not read yet, as the kernel charges it to this socket
   * (UNIX_DIAG_RQLEN, sk_wmem_alloc): buffer memory, not data — an 8-byte write holds ~768 — as
   * ss's Send-Q; a listener: its backlog limit. The data itself is the peer's recvQueue.
   */
  sendQueue: number | null;
  netns: string;
  /**
   * The file the socket is bound to, as the kernel keeps it (sock_diag UNIX_DIAG_VFS, native
   * only): its inode and device `major:minor`. Compared with what `path` names now, it tells a
   * socket whose path was unlinked or taken over by another socket.
   */
  boundInode?: number;
  boundDev?: string;
}

/** A stream socket's send memory (its unread data's buffers, charged to the sender) past which a blocked send is plausible. */
export const UNIX_STREAM_FULL = 32768;
export const UNIX_DGRAM_FULL = 4096;

function queued(ch: UnixChannel): string {
  if (ch.acceptQueue !== undefined) return ', not accepted yet';
  const rq = ch.recvQueue;
  if (!rq) return '';
  if (ch.state === 'listen') return `, ${rq} waiting for accept()`;
  return ch.type === 'dgram' ? `, a ${formatBytes(rq)} datagram waiting` : `, ${formatBytes(rq)} queued`;
}

/** A path-bound socket's name: its path, the absolute one beside a relative one when known, and another mount namespace's mark. */
function pathName(path: string, ch: UnixChannel, max?: number): string {
  return shortText(path, max) + (ch.pathResolved !== undefined ? ` (${shortText(ch.pathResolved, max)})` : '') + otherMntns(ch);
}

/** A connected socket's half-close, as its description says it (ss -e draws it: `<--`, `-->`, `---`). */
const SHUT_TEXT: Record<NonNullable<UnixChannel['shutdown']>, string> = {
  read: 'half-closed: nothing more to read',
  write: 'half-closed: no more writing',
  both: 'shut down both ways',
};

const c = col<UnixChannel>();

export const unix = defineKind<UnixChannel>({
  kind: 'unix',
  title: 'Unix socket',
  teaching:
    'Unix domain socket: a local bidirectional socket named by a path or an abstract name; stream (connection-oriented bytes) or datagram (record-preserving messages); can pass fds and credentials.',
  icon: 'plug',
  group: { id: 'sockets', label: 'Sockets', sub: 'Unix' },
  map: { family: 'socket', shared: false },
  idShape: /^\d+$/,
  inodeOfId: inodeOfSimpleId,
  name: (ch, max) => (ch.path !== undefined ? pathName(ch.path, ch, max) : ch.abstract !== undefined ? '@' + shortText(ch.abstract, max) : `unix:[${ch.inode}]`),
  // A path or @name leads; an unnamed socket (socketpair, accepted end) leads with who holds it.
  label: (ch, ends) => {
    const named = ch.path !== undefined || ch.abstract !== undefined;
    const name = ch.path !== undefined ? pathName(ch.path, ch, 200) : ch.abstract !== undefined ? '@' + shortText(ch.abstract, 200) : `unix:[${ch.inode}]`;
    return named || !ends ? (ends ? `${name}  ${ends}` : name) : ends;
  },
  longTitle: (ch) => `Unix ${ch.type} socket ${ch.path !== undefined ? pathName(ch.path, ch) : ch.abstract !== undefined ? '@' + shortText(ch.abstract) : ch.inode}`,
  description: (ch) => `${ch.type} ${ch.state}${ch.state === 'connected' && ch.shutdown ? ` (${SHUT_TEXT[ch.shutdown]})` : ''}${queued(ch)}`,
  columns: [
    c('inode', 'INODE', 'Inode', 'number', 'Socket inode (socket:[N] in /proc/PID/fd)', { search: 'number', wide: true }),
    c('type', 'TYPE', 'Type', 'string', 'stream, dgram or seqpacket'),
    c('state', 'STATE', 'State', 'string', 'listen, connected, unconnected, connecting, disconnecting; peer closed: connected to an end that was closed (a write fails; a stream read returns what is queued, then EOF)', { search: 'text' }),
    c('path', 'PATH', 'Path', 'string', 'Bound filesystem path', { search: 'text' }),
    mntnsColumn<UnixChannel>(),
    c('pathResolved', 'PATH RESOLVED', 'Path, resolved', 'string', "A relative path's absolute one (a holder's working directory joined with it leads to the bound file), or a chrooted holder's path as our root reaches it", { search: 'text', wide: true }),
    c('abstract', 'ABSTRACT', 'Abstract name', 'string', 'Bound abstract name (shown with a leading @)', { search: 'text', format: (a: string) => '@' + a }),
    c('peer', 'PEER', 'Peer', 'string', 'Channel id of the other end (sock_diag; native addon)'),
    c('peerInode', 'PEER INODE', 'Peer inode', 'number', 'Inode of the other end', { wide: true }),
    c('shutdown', 'SHUTDOWN', 'Shut down', 'string', 'What was shut down on it (shutdown(), or the peer closing): read, write or both; none when empty (ss -e: <->, <--, -->, ---)', { wide: true }),
    c('acceptQueue', 'ACCEPT-Q OF', 'Waiting in the accept queue of', 'string', 'Connected but not accepted yet: the listener whose accept queue holds the other end (sock_diag)', { wide: true }),
    c('recvQueue', 'RECV-Q', 'Receive queue', 'number|null',
      'stream/seqpacket: bytes waiting to be read; dgram: the length of the first waiting datagram (not a count); listener: connections waiting for accept()',
      { unit: (ch) => (ch.state === 'listen' ? 'connections' : 'bytes') }),
    c('sendQueue', 'SEND-Q', 'Send queue', 'number|null', "Buffer memory held by what it sent and the peer has not read (the kernel's accounting, as ss's Send-Q: more than the data itself); for a listener, its backlog limit", {
      unit: (ch) => (ch.state === 'listen' ? 'connections at most' : 'bytes'),
    }),
    c('netns', 'NETNS', 'Network namespace', 'string', 'Network namespace inode', { wide: true }),
    c('boundInode', 'BOUND INODE', 'Bound file inode', 'number', 'Inode of the file it is bound to, as the kernel keeps it (sock_diag)', { wide: true }),
    c('boundDev', 'BOUND DEV', 'Bound file device', 'string', 'Device (major:minor) of that file', { wide: true }),
  ],
  ends: 'holders',
  // a connection not accepted yet leads to the listener that will accept it
  peer: (ch) => ch.peer ?? ch.acceptQueue,
  listening: (ch) => ch.state === 'listen',
  datagrams: (ch) => ch.type !== 'stream',
  owner: noOwner,
  mentions: noMentions,
  probe: 'sockets',
  fds: SOCKET_FDS,
  peek: 'socket',
  noPeekFor: unheldSocket,
  paged: true,
  pagedNote: (ch) => (ch.state === 'listen' ? null : ch.type !== 'stream' ? DATAGRAM_PAGES : QUEUE_PAGES),
  remove: notRemovable,
  queue: (ch) =>
    ch.state === 'listen'
      ? { bytes: null, counts: ch.recvQueue === null ? null : [ch.recvQueue], stamp: null }
      : // the data waiting to be read here: what it sent waits at its peer, counted there in bytes
        // (its sendQueue is the same data as buffer memory, ~100× an 8-byte write)
        { bytes: ch.recvQueue, counts: null, stamp: null },
  // charted as its queue counts: a listener's connections waiting, of its backlog, not as bytes
  depth: (ch): Record<string, number> | undefined => (ch.recvQueue === null ? undefined : ch.state === 'listen' ? { connections: ch.recvQueue } : { bytes: ch.recvQueue }),
  depthLimits: (ch) => (ch.state === 'listen' && ch.sendQueue ? { connections: ch.sendQueue } : undefined),
  full: (ch) => ch.state !== 'listen' && ch.sendQueue !== null && ch.sendQueue >= (ch.type === 'stream' ? UNIX_STREAM_FULL : UNIX_DGRAM_FULL),
  empty: (ch) => ch.state !== 'listen' && ch.recvQueue === 0,
  warnings: () => [],
  missing: (caps) => (caps.sockDiag ? undefined : 'sock_diag netlink unavailable — Unix socket peers and queues are unknown'),
});
