// TCP sockets (shared with UDP: inet.ts).
import { defineKind } from './kind';
import { inetCommon, type TcpChannel } from './inet';

/** A loopback TCP connection's unacknowledged bytes past which a blocked send is plausible. */
export const TCP_FULL = 65536;

export const tcp = defineKind<TcpChannel>({
  kind: 'tcp',
  title: 'TCP socket',
  teaching:
    'TCP socket: a connection-oriented, reliable, ordered byte stream (SOCK_STREAM) between two address:port ends; a listener accepts new connections.',
  icon: 'globe',
  group: { id: 'sockets', label: 'Sockets', sub: 'TCP' },
  map: { family: 'socket', shared: false },
  ...inetCommon<TcpChannel>('tcp'),
  datagrams: () => false,
  full: (ch) => ch.state === 'ESTAB' && ch.peer !== undefined && ch.sendQueue !== null && ch.sendQueue >= TCP_FULL,
  warnings: () => [],
});
