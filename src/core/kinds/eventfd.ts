// eventfds shared between processes: a 64-bit counter in the kernel used as a wake-up (a producer
// writes, a consumer reads), shared by fork or passed over a Unix socket. Every eventfd is the one
// anon inode `anon_inode:[eventfd]`, so the object is told by fdinfo's `eventfd-id`; its counter
// and mode come from fdinfo too (read for these fds only). A channel when two or more processes
// hold it (one process waking its own threads is no IPC). Peeked by re-reading fdinfo: a read of
// the eventfd itself would consume the counter.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { defineKind, never, noInode, noMentions, noneMissing, noOwner, noPeer, notRemovable, type FdClass } from './kind';
import { plural } from '../text';

export interface EventfdChannel extends ChannelBase {
  kind: 'eventfd';
  /** fdinfo `eventfd-id`: the object (all eventfds share one inode). */
  eventfdId: number;
  /** fdinfo `eventfd-count`: what a read would return and reset (a semaphore-mode read takes 1); null when no holder's fdinfo said. */
  count: number | null;
  /** fdinfo `eventfd-semaphore`: EFD_SEMAPHORE, each read takes 1. */
  semaphore: boolean | null;
}

/** `anon_inode:[eventfd]` fds, with the fdinfo lines that identify and describe them. */
export const EVENTFD_FDS: FdClass = {
  id: 'eventfd',
  rule: { code: 6, link: 'anon_inode:[eventfd]', exact: true, fdinfo: ['eventfd-id', 'eventfd-count', 'eventfd-semaphore'] },
};

const c = col<EventfdChannel>();

export const eventfd = defineKind<EventfdChannel>({
  kind: 'eventfd',
  title: 'eventfd',
  teaching:
    'eventfd: a 64-bit counter in the kernel used to wake another process up: write() adds to it, read() returns it and resets it to zero (in semaphore mode returns 1 and takes 1), and blocks while it is zero; shared across fork() or passed over a Unix socket.',
  icon: 'bell',
  group: { id: 'eventfds', label: 'Eventfds' },
  map: { family: 'sem', shared: true },
  idShape: /^\d{1,10}$/,
  inodeOfId: noInode,
  name: (ch) => `eventfd ${ch.eventfdId}`,
  nameSaysKind: true,
  longTitle: (ch) => `eventfd ${ch.eventfdId}${ch.semaphore ? ' (semaphore)' : ''}`,
  description: (ch) =>
    `${ch.count === null ? 'count ?' : `count ${ch.count}`}${ch.semaphore ? ', semaphore' : ''}, ${plural(new Set(ch.endpoints.map((e) => e.pid)).size, 'process', 'processes')}`,
  columns: [
    c('eventfdId', 'EVENTFD ID', 'eventfd id', 'number', 'fdinfo eventfd-id: which eventfd (every eventfd shares one anon inode)', { search: 'number' }),
    c('count', 'COUNT', 'Counter', 'number|null', 'fdinfo eventfd-count: what a read would return and reset to zero; read without touching the eventfd'),
    c('semaphore', 'SEMAPHORE', 'Semaphore mode', 'boolean|null', 'EFD_SEMAPHORE: each read returns 1 and decrements the counter'),
  ],
  ends: 'holders',
  peer: noPeer,
  owner: noOwner,
  mentions: noMentions,
  probe: 'fdinfo',
  fds: EVENTFD_FDS,
  fdinfo: {
    identity: 'eventfd-id',
    channel(identity, rows) {
      if (new Set(rows.map((r) => r.pid)).size < 2) return null;
      const count = rows.map((r) => r.info.get('eventfd-count')).find((v) => v !== undefined && /^[0-9a-f]{1,16}$/i.test(v));
      const sem = rows.map((r) => r.info.get('eventfd-semaphore')).find((v) => v === '0' || v === '1');
      return {
        id: `eventfd:${identity}`,
        kind: 'eventfd',
        endpoints: rows.map(({ pid, fd, mode }) => ({ pid, fd, mode })),
        eventfdId: Number(identity),
        count: count === undefined ? null : parseInt(count, 16), // 64-bit: exact up to 2^53
        semaphore: sem === undefined ? null : sem === '1',
      };
    },
  },
  peek: 'fdinfo',
  paged: false,
  remove: notRemovable,
  // each write adds to the counter, each read takes it to 0 (or 1 less in semaphore mode)
  queue: (ch) => ({ bytes: null, counts: ch.count === null ? null : [ch.count], stamp: null }),
  depth: (ch) => (ch.count !== null ? { count: ch.count } : undefined),
  full: never,
  empty: (ch) => ch.count === 0,
  warnings: () => [],
  missing: noneMissing,
});
