// The TCP table with MPTCP sockets folded in (probes/mptcpSockets.ts withMptcp): each MPTCP socket
// once, in place of its subflows (the TCP rows of its inode, or for a connection not accepted yet
// the inode-less row of its very addresses), pairing keys kept; and which namespaces' MPTCP and
// UDP-Lite tables are dumped at all (probes/protocolsInUse.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InetDiag } from '../../src/core/native';
import { prepareInet } from '../../src/core/probes/sockets';
import { mptcpDump, pendingJoins, withMptcp } from '../../src/core/probes/mptcpSockets';
import { mayHave, parseProtocols } from '../../src/core/probes/protocolsInUse';

type Row = [state: number, local: string, lport: number, remote: string, rport: number, rq: number, inode: number];

function diag(rows: Row[]): InetDiag {
  return {
    family: Uint8Array.from(rows.map(() => 4)),
    state: Uint8Array.from(rows.map((r) => r[0])),
    localAddr: rows.map((r) => r[1]),
    localPort: Uint16Array.from(rows.map((r) => r[2])),
    remoteAddr: rows.map((r) => r[3]),
    remotePort: Uint16Array.from(rows.map((r) => r[4])),
    rqueue: Float64Array.from(rows.map((r) => r[5])),
    wqueue: Float64Array.from(rows.map(() => 0)),
    inode: Float64Array.from(rows.map((r) => r[6])),
    uid: Float64Array.from(rows.map(() => 0)),
  };
}

/** An 'mptcp' or 'mptcp-subflows' dump: the rows with their connection tokens (and, MPTCP sockets, joined subflows). */
function diagWithTokens(rows: Row[], token: number[], joins?: number[]): InetDiag {
  const d = diag(rows);
  d.token = Float64Array.from(token);
  if (joins) d.joins = Uint8Array.from(joins);
  return d;
}

const ESTAB = 1;
const LISTEN = 10;
const TIME_WAIT = 6;

test('MPTCP sockets replace their subflows: one channel per inode, every subflow under it, plain TCP untouched', () => {
  const tcp = prepareInet(
    diag([
      [LISTEN, '127.0.0.1', 80, '0.0.0.0', 0, 0, 10], // the MPTCP listener's TCP listener
      [ESTAB, '127.0.0.1', 5000, '127.0.0.1', 80, 0, 11], // client subflow 1
      [ESTAB, '127.0.0.2', 5001, '127.0.0.1', 80, 0, 11], // client subflow 2 (same inode)
      [ESTAB, '127.0.0.1', 80, '127.0.0.2', 5001, 0, 12], // (the joined subflow before the initial one in the table)
      [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5000, 0, 12],
      [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5002, 0, 0], // a pending connection's subflow
      [TIME_WAIT, '127.0.0.1', 80, '127.0.0.1', 5002, 0, 0], // an old connection of the same tuple
      [ESTAB, '127.0.0.1', 22, '127.0.0.1', 6000, 0, 20], // plain TCP
    ]),
    'tcp',
    '1',
  );
  const mptcp = prepareInet(
    diag([
      [LISTEN, '127.0.0.1', 80, '0.0.0.0', 0, 1, 10],
      [ESTAB, '127.0.0.1', 5000, '127.0.0.1', 80, 0, 11],
      [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5000, 843, 12],
      [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5002, 837, 0],
    ]),
    'tcp',
    '1',
    'mptcp',
  );
  const out = withMptcp(tcp, mptcp)!;
  // (the TIME-WAIT row and the pending end share a tuple, so an id: as two plain TCP rows would)
  const inodes = out.ch.filter((c) => c.inode > 0).map((c) => c.inode);
  assert.deepEqual(inodes.sort(), [10, 11, 12, 20], 'each inode once');
  const by = (inode: number, state = 'ESTAB') => out.ch.filter((c) => c.inode === inode && c.state === state);
  const client = by(11)[0];
  assert.equal(client.protocol, 'mptcp');
  assert.deepEqual(client.subflows!.map((f) => f.local), ['127.0.0.1:5000', '127.0.0.2:5001']);
  assert.equal(by(12)[0].recvQueue, 843, "the MPTCP socket's queue, not the subflows' 0");
  assert.deepEqual(by(12)[0].subflows!.map((f) => f.remote), ['127.0.0.1:5000', '127.0.0.2:5001'], 'the initial subflow (the socket\'s own addresses) first');
  assert.equal(by(10, 'LISTEN')[0].subflows!.length, 1);
  const pending = by(0);
  assert.equal(pending.length, 1, 'the pending connection once; its subflow folded by its addresses');
  assert.equal(pending[0].protocol, 'mptcp');
  assert.equal(pending[0].subflows!.length, 1);
  assert.equal(by(0, 'TIME-WAIT').length, 1, 'a closed connection of the same tuple stays a TCP channel of its own');
  assert.equal(by(0, 'TIME-WAIT')[0].protocol, undefined);
  assert.equal(by(20)[0].protocol, undefined, 'plain TCP stays plain');
  // pairing keys travel with their rows: the MPTCP ends are candidates, their subflows are not
  const keyed = out.ch.filter((_, i) => out.key[i] >= 0).map((c) => `${c.id}${c.protocol ? '/m' : ''}`);
  assert.ok(keyed.includes('tcp:11/m') && keyed.includes('tcp:12/m'), keyed.join(' '));
  assert.equal(out.addr!.local.length, out.ch.length);
});

test('a subflow that joined a connection not accepted yet (no inode, addresses of its own) goes under it by the connection\'s token', async () => {
  const tcp = prepareInet(
    diag([
      [LISTEN, '127.0.0.1', 80, '0.0.0.0', 0, 0, 10],
      [ESTAB, '127.0.0.1', 80, '127.0.0.2', 5003, 0, 0], // joined (MP_JOIN from 127.0.0.2) before accept
      [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5002, 0, 0], // the pending connection's initial subflow
      [ESTAB, '127.0.0.1', 5002, '127.0.0.1', 80, 0, 11], // the client's subflows
      [ESTAB, '127.0.0.2', 5003, '127.0.0.1', 80, 0, 11],
      [ESTAB, '127.0.0.1', 81, '127.0.0.1', 6001, 0, 0], // a plain TCP connection not accepted yet
    ]),
    'tcp',
    '1',
  );
  const mptcp = prepareInet(
    diagWithTokens(
      [
        [LISTEN, '127.0.0.1', 80, '0.0.0.0', 0, 1, 10],
        [ESTAB, '127.0.0.1', 5002, '127.0.0.1', 80, 0, 11],
        [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5002, 837, 0],
      ],
      [0, 0x6012c801, 0x263cea57],
      [0, 1, 1],
    ),
    'tcp',
    '1',
    'mptcp',
  );
  const subflows = diagWithTokens(
    [
      [ESTAB, '127.0.0.1', 80, '127.0.0.1', 5002, 0, 0],
      [ESTAB, '127.0.0.1', 80, '127.0.0.2', 5003, 0, 0],
      [ESTAB, '127.0.0.1', 5002, '127.0.0.1', 80, 0, 11],
      [ESTAB, '127.0.0.2', 5003, '127.0.0.1', 80, 0, 11],
    ],
    [0x263cea57, 0x263cea57, 0x6012c801, 0x6012c801],
  );
  let reads = 0;
  const warnings: string[] = [];
  const joined = await pendingJoins(mptcp, async () => (reads++, subflows), (d) => prepareInet(d, 'tcp', '1'), '1', warnings);
  assert.equal(reads, 1);
  const out = withMptcp(tcp, mptcp, joined)!;
  const pending = out.ch.filter((c) => c.inode === 0 && c.local === '127.0.0.1:80');
  assert.equal(pending.length, 1, 'the pending connection once: its joined subflow is no TCP channel of its own');
  assert.equal(pending[0].protocol, 'mptcp');
  assert.deepEqual(pending[0].subflows!.map((f) => f.remote), ['127.0.0.1:5002', '127.0.0.2:5003'], 'both subflows, the initial one first');
  assert.equal(out.ch.filter((c) => c.inode === 11).length, 1);
  assert.equal(out.ch.find((c) => c.local === '127.0.0.1:81')?.protocol, undefined, 'the plain TCP connection not accepted yet stays TCP');
  assert.deepEqual(warnings, []);

  // asked only when a connection not accepted yet has joins; a failed dump is said, and each such subflow stays a TCP channel
  const noJoins = prepareInet(diagWithTokens([[ESTAB, '127.0.0.1', 80, '127.0.0.1', 5002, 837, 0]], [0x263cea57], [0]), 'tcp', '1', 'mptcp');
  assert.equal(await pendingJoins(noJoins, async () => (reads++, subflows), (d) => prepareInet(d, 'tcp', '1'), '1', warnings), undefined);
  assert.equal(reads, 1, 'no second dump without joins');
  const eperm = Object.assign(new Error('sock_diag: EPERM'), { code: 'EPERM' });
  assert.equal(await pendingJoins(mptcp, () => Promise.reject(eperm), (d) => prepareInet(d, 'tcp', '1'), '1', warnings), undefined);
  assert.match(warnings[0], /^network namespace 1: the subflows that joined MPTCP connections not accepted yet could not be read \(sock_diag EPERM\)/);
  const alone = withMptcp(tcp, mptcp, undefined)!;
  assert.equal(alone.ch.filter((c) => c.inode === 0 && c.local === '127.0.0.1:80').length, 2, 'without the tokens, the joined subflow is a TCP channel of its own');
});

test('no MPTCP sockets: the TCP table itself (the pairs found during the walk still apply)', () => {
  const tcp = prepareInet(diag([[ESTAB, '127.0.0.1', 22, '127.0.0.1', 6000, 0, 20]]), 'tcp', '1');
  assert.equal(withMptcp(tcp, null), tcp);
  assert.equal(withMptcp(tcp, prepareInet(diag([]), 'tcp', '1', 'mptcp')), tcp);
});

test('/proc/net/protocols: MPTCP and UDP-Lite tables are dumped only where the namespace counts sockets of them', () => {
  const text = [
    'protocol  size sockets  memory press maxhdr  slab module     cl co di ac io in de sh ss gs se re bi br ha uh gp em',
    'MPTCPv6   2064      0     397   no       0   yes  kernel      y  y  y  n  y  y  y  y  y  y  y  y  n  n  y  y  y  n',
    'UDPLITEv6 1472      0       0   NI       0   yes  kernel      y  y  y  n  y  y  y  n  y  y  y  y  n  n  y  y  y  n',
    'UDP-Lite  1344      2       0   NI       0   yes  kernel      y  y  y  n  y  y  y  n  y  y  y  y  n  n  y  y  y  n',
    'MPTCP     1936      3     397   no       0   yes  kernel      y  y  y  n  y  y  y  y  y  y  y  y  n  n  y  y  y  n',
    '',
  ].join('\n');
  const c = parseProtocols(text);
  assert.equal(c.get('MPTCP'), 3);
  assert.equal(mayHave(c, ['MPTCP', 'MPTCPv6']), true);
  assert.equal(mayHave(c, ['UDPLITEv6']), false);
  assert.equal(mayHave(c, ['UDP-Lite']), true);
  assert.equal(mayHave(c, ['SCTP']), false, 'a protocol the kernel lacks has no sockets');
  assert.equal(mayHave(null, ['MPTCP']), true, 'counts unknown: dumped');
});

test('MPTCP sockets that cannot be read whole are said to be shown as TCP, and the kernel is not asked to load mptcp_diag', async () => {
  const warnings: string[] = [];
  let asked = 0;
  const read = async () => {
    asked++;
    return diag([]);
  };
  assert.equal(await mptcpDump(read, '4026531833', warnings, 'not-loaded'), null);
  assert.equal(asked, 0, 'no request that would load the module');
  assert.match(warnings[0], /^network namespace 4026531833 has MPTCP sockets, but the kernel's mptcp_diag is not loaded .*listed as a TCP socket by its first subflow/);
  assert.equal(await mptcpDump(null, '1', warnings, 'ok'), null, 'no addon: nothing to read it with');
  assert.equal(warnings.length, 1);
  const enoent = Object.assign(new Error('sock_diag: ENOENT'), { code: 'ENOENT' });
  assert.equal(await mptcpDump(() => Promise.reject(enoent), '1', warnings, 'ok'), null);
  assert.match(warnings[1], /answers no MPTCP sock_diag request/);
  assert.ok(await mptcpDump(read, '1', warnings, 'ok'), 'read where it can be');
  assert.equal(asked, 1);
});
