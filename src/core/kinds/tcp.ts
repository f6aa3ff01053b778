// TCP sockets (shared with UDP: inet.ts).
import { defineKind } from './kind';
import { inetCommon, type TcpChannel } from './inet';
import { plural } from '../text';

/**
 * States of a connection whose process has closed it (close() or exit) while the kernel finishes
 * TCP. Folded only with inode 0 too: the kernel has detached it from every file, so no process
 * holds it or can (a half-closed socket a process still holds is FIN-WAIT too, with its inode,
 * and a non-root scan may not see its holder). SYN-RECV has inode 0 as well but is a connection
 * still to come: not folded.
 */
const CLOSED_BY_PROCESS = new Set(['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSING', 'LAST-ACK']);

/** A loopback TCP connection's unacknowledged bytes past which a blocked send is plausible. */
export const TCP_FULL = 65536;

/**
 * Bytes the peer has not acknowledged: a TCP socket's Send-Q; an MPTCP socket's stream's (`unacked`:
 * its Send-Q is memory, near 0 while a blocked writer's data waits in its subflows), null when
 * mptcp_diag did not say — no byte figure is made of memory.
 */
export const unackedBytes = (ch: Pick<TcpChannel, 'protocol' | 'sendQueue' | 'unacked'>): number | null => (ch.protocol === 'mptcp' ? (ch.unacked ?? null) : ch.sendQueue);

export const tcp = defineKind<TcpChannel>({
  kind: 'tcp',
  title: 'TCP socket',
  teaching:
    'TCP socket: a connection-oriented, reliable, ordered byte stream (SOCK_STREAM) between two address:port ends; a listener accepts new connections.',
  icon: 'globe',
  group: { id: 'sockets', label: 'Sockets', sub: 'TCP' },
  map: { family: 'socket', shared: false },
  ...inetCommon<TcpChannel>(),
  datagrams: () => false,
  // (an MPTCP socket's Recv-Q is its memory, as mptcp_diag reports it; a TCP socket's, bytes)
  recvQueueIsMemory: (ch) => ch.protocol === 'mptcp',
  full: (ch) => {
    const n = unackedBytes(ch);
    return ch.state === 'ESTAB' && ch.peer !== undefined && n !== null && n >= TCP_FULL;
  },
  warnings: () => [],
  fold: {
    holds: (ch) => ch.inode === 0 && ch.endpoints.length === 0 && CLOSED_BY_PROCESS.has(ch.state),
    // short: a side bar of 300 px shows about 30 characters of a nested row
    label: (n, total) => (total === undefined ? plural(n, 'closed connection') : `${n.toLocaleString('en-US')} of ${plural(total, 'closed connection')}`),
    counted: 'closed',
    description: (chs) => {
      const by = new Map<string, number>();
      for (const ch of chs) by.set(ch.state, (by.get(ch.state) ?? 0) + 1);
      // the states only: a 300 px side bar cuts the row after ~30 characters, and "closed" says no process holds them
      return [...by].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`).join(' · ');
    },
    tooltip:
      'Connections their processes have closed (close() or exit), kept by the kernel while TCP finishes: TIME-WAIT lasts 60 s, FIN-WAIT-2 until the peer closes or tcp_fin_timeout. No process can read or write them again. Folded so that the connections processes hold stay in sight; ss -t state time-wait lists them too.',
  },
});
