// What is wrong, in a few words: the phrase every problem leads with — the Problems view's row
// label and the CLI doctor's headline — before the object it is about (`attached by nobody,
// creator gone — SysV shared memory shmid 68 key 0x…`). A side bar cuts a row at ~40
// characters; a title that starts with the object says only what, never what is wrong.
//
// Written once, here, per rule: the rules pick their problem's phrase from their own table (a
// phrase that is not in it does not type-check), the view and the CLI only print it. Fixed text:
// no name, path or number a process controls goes in a trouble (those are the subject's).

import type { RuleId } from './problem';

export const TROUBLES = {
  'blocked-writer': {
    pipeFull: 'writer blocked: pipe full',
    fifoFull: 'writer blocked: FIFO full',
    notAccepted: 'writer blocked: connection not accepted',
    receiverFull: "writer blocked: receiver's queue full",
    socketFull: 'writer blocked: send buffer full',
    queueFull: 'writer blocked: queue full',
  },
  'no-other-end': {
    noReader: 'no reader: writes get EPIPE',
    outputUnread: 'output read by nobody',
    readerHidden: 'no reader in any fd table',
    readerInFlight: 'read end maybe in flight',
    noWriter: 'no writer: readers get EOF',
    writerHidden: 'no writer in any fd table',
    writerInFlight: 'write end maybe in flight',
    fifoDeleted: 'FIFO path deleted',
    fifoReplaced: 'FIFO path names another file',
  },
  'socket-path': {
    stale: 'stale socket file: nothing bound',
    renamed: 'socket file renamed',
    gone: 'socket path removed: clients get ENOENT',
    takenOver: 'socket path taken over',
    takenOverByOther: 'socket path taken over by another user',
    leftInChild: 'old socket left in a child',
  },
  'accept-backlog': {
    full: 'accept queue full',
    atBacklog: 'accept queue at its backlog',
    waiting: 'connections wait to be accepted',
  },
  'queue-not-draining': {
    rising: 'queue not draining',
    stalled: 'queue stalled, not draining',
    full: 'receive buffer full, frames dropped',
    dropped: 'messages dropped since the last refresh',
    framesDropped: 'frames dropped since the last refresh',
  },
  leftover: {
    orphan: 'attached by nobody, creator gone',
    destroyed: 'removed but still attached',
    msgq: 'messages left, sender and receiver gone',
    posix: 'held by nobody',
  },
  'semaphore-no-poster': {
    deadlock: 'likely deadlock: the poster waits too',
    noPoster: 'waiters, nobody alive to post',
  },
  'wait-cycle': {
    cycle: 'wait cycle (deadlock)',
    likely: 'likely wait cycle',
  },
  'signal-trouble': {
    pendingBlocked: 'signal pending but blocked',
    pendingHarmless: 'signal pending and blocked (harmless)',
    ignoresTerm: 'ignores SIGTERM',
    stopped: 'stopped: waits for SIGCONT',
    traceStopped: 'stopped by its tracer',
    traced: 'runs under a tracer',
    zombie: 'zombie its parent does not reap',
  },
  'port-clash': {
    shared: 'port shared (SO_REUSEPORT)',
    clash: 'port clash: different programs',
  },
} as const satisfies Record<RuleId, Record<string, string>>;

/** A phrase of rule `R`'s table. */
export type TroubleOf<R extends RuleId> = (typeof TROUBLES)[R][keyof (typeof TROUBLES)[R]];
/** A phrase of any rule's table. */
export type Trouble = { [R in RuleId]: TroubleOf<R> }[RuleId];

/** Rule `R`'s phrases (what a problem of that rule may lead with). */
export function troublesOf(rule: RuleId): readonly string[] {
  return Object.values(TROUBLES[rule]);
}
