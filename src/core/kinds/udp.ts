// UDP sockets (shared with TCP: inet.ts).
import { defineKind, never } from './kind';
import { inetCommon, type UdpChannel } from './inet';

export const udp = defineKind<UdpChannel>({
  kind: 'udp',
  title: 'UDP socket',
  teaching: 'UDP socket: connectionless datagrams (SOCK_DGRAM): each send is one record, which may be lost or reordered; no listener, no connection state.',
  icon: 'broadcast',
  group: { id: 'sockets', label: 'Sockets', sub: 'UDP' },
  map: { family: 'socket', shared: false },
  ...inetCommon<UdpChannel>(),
  datagrams: () => true,
  recvQueueIsMemory: () => true,
  full: never,
  warnings: () => [],
});
