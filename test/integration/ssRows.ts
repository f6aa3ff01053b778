// ss's own view of the sockets, as rows: the oracle the integration tests hold our socket
// channels against (oracles.test.ts on fixtures, walkBackends.test.ts on real services).
import { execFileSync } from 'node:child_process';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });

export interface SsRow {
  netid: string;
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  inode: number;
  peerInode: number;
  users: { pid: number; fd: number }[];
}

function users(line: string): { pid: number; fd: number }[] {
  return [...line.matchAll(/pid=(\d+),fd=(\d+)/g)].map((m) => ({ pid: Number(m[1]), fd: Number(m[2]) }));
}

/** `ss -xapnH`: Netid State Recv-Q Send-Q LocalAddr LocalPort(=inode) PeerAddr PeerPort(=peer inode) users:… */
export function ssUnix(): SsRow[] {
  const rows: SsRow[] = [];
  for (const line of run('ss', ['-xapnH']).split('\n')) {
    if (!line.includes('users:(')) continue;
    const t = line.trim().split(/\s+/);
    rows.push({ netid: t[0], state: t[1], recvQ: Number(t[2]), sendQ: Number(t[3]), local: t[4], inode: Number(t[5]), peer: t[6], peerInode: Number(t[7]), users: users(line) });
  }
  return rows;
}

/**
 * `ss -tanpeH` / `ss -uanpeH` / `ss -ManpeH` (MPTCP): State Recv-Q Send-Q Local Peer users:… ino:N …;
 * in the network namespace of `netnsPid` when given (nsenter). `all`: rows without users too (an
 * MPTCP connection not accepted yet, which no process holds).
 */
export function ssInet(proto: 't' | 'u' | 'M', netnsPid?: number, all = false): SsRow[] {
  const rows: SsRow[] = [];
  const args = [`-${proto}anpeH`];
  const out = netnsPid === undefined ? run('ss', args) : run('nsenter', ['-t', String(netnsPid), '-n', 'ss', ...args]);
  for (const line of out.split('\n')) {
    if (!line.trim() || (!all && !line.includes('users:('))) continue;
    const t = line.trim().split(/\s+/);
    const ino = /\bino:(\d+)/.exec(line);
    rows.push({ netid: proto === 't' ? 'tcp' : proto === 'M' ? 'mptcp' : 'udp', state: t[0], recvQ: Number(t[1]), sendQ: Number(t[2]), local: t[3], peer: t[4], inode: ino ? Number(ino[1]) : 0, peerInode: 0, users: users(line) });
  }
  return rows;
}
