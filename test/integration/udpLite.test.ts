// UDP-Lite sockets (IPPROTO_UDPLITE) are UDP channels marked `protocol: 'udplite'`: they were in no
// table we read (the kernel keeps them in /proc/net/udplite{,6} and answers inet_diag for them
// under their own protocol), so a snapshot left them out while lsof lists them (`UDPLITE`). Held
// against /proc/net/udplite{,6} and lsof, read through sock_diag with both fd walks and from /proc.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/udpLite.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { InetChannel } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot, type SnapshotOptions } from '../../src/core/snapshot';
import { parseProcNetInet } from '../../src/core/parsers/net';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';

const isRoot = process.geteuid?.() === 0;
const native = loadNative().addon;
const skip = fs.existsSync('/proc/net/udplite') ? false : 'no UDP-Lite in this kernel (/proc/net/udplite)';
const WAYS: [string, SnapshotOptions][] = [
  ['/proc tables', { useNative: false }],
  ...(native ? ([['sock_diag, proc walk', { walk: 'proc' }]] as [string, SnapshotOptions][]) : []),
  ...(native && isRoot && loadBpf().addon ? ([['sock_diag, bpf-iter walk', { walk: 'bpf-iter' }]] as [string, SnapshotOptions][]) : []),
];

describe('UDP-Lite sockets: UDP channels, marked udplite', { skip }, () => {
  const made: Fixture[] = [];
  before(async () => {
    made.push(await makeFixture('udplite4', { bytes: 20, datagrams: 2 }), await makeFixture('udplite6', { bytes: 30, datagrams: 3 }));
  });
  after(() => closeAll(made));

  for (const [way, opts] of WAYS) {
    it(`server and connected client, IPv4 and IPv6, as /proc/net/udplite{,6} and lsof list them (${way})`, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['udp'] });
      const table = [...parseProcNetInet(fs.readFileSync('/proc/net/udplite', 'utf8')).inode, ...parseProcNetInet(fs.readFileSync('/proc/net/udplite6', 'utf8')).inode];
      const proc4 = parseProcNetInet(fs.readFileSync('/proc/net/udplite', 'utf8'));
      const proc6 = parseProcNetInet(fs.readFileSync('/proc/net/udplite6', 'utf8'));
      for (const fx of made) {
        const i = fx.info as Record<'server' | 'client', { pid: number; fd: number; inode: number; local: string; remote?: string }>;
        const p = fx.info.family === 6 ? proc6 : proc4;
        for (const role of ['server', 'client'] as const) {
          const e = i[role];
          assert.ok(table.includes(e.inode), `${role}: in /proc/net/udplite (the fixture made UDP-Lite)`);
          const chs = snap.channels.filter((c): c is InetChannel => c.kind === 'udp' && c.inode === e.inode);
          assert.equal(chs.length, 1, `IPv${fx.info.family} ${role}: listed once`);
          const ch = chs[0];
          assert.equal(ch.protocol, 'udplite');
          assert.equal(ch.local, e.local);
          assert.ok(ch.endpoints.some((x) => x.pid === e.pid && x.fd === e.fd), `${role}: held by pid ${e.pid} fd ${e.fd}`);
          const row = [...p.inode].indexOf(e.inode);
          assert.equal(ch.recvQueue, p.rqueue[row], `${role}: Recv-Q as /proc/net/udplite's rx_queue`);
        }
        assert.ok(snap.channels.some((c) => c.kind === 'udp' && c.inode === i.server.inode && c.recvQueue > 0), 'the datagrams queued at the server');
      }
    });
  }

  it('lsof calls them UDPLITE, at the addresses the snapshot says', { skip: spawnSync('sh', ['-c', 'command -v lsof']).status === 0 ? false : 'no lsof' }, async () => {
    const snap = await takeSnapshot({ kinds: ['udp'] });
    for (const fx of made) {
      const e = (fx.info as Record<'server', { pid: number; fd: number; inode: number }>).server;
      const out = execFileSync('lsof', ['-n', '-P', '-a', '-p', String(e.pid), '-d', String(e.fd)], { encoding: 'utf8' });
      const ch = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === e.inode)!;
      assert.match(out, /\bUDPLITE\b/);
      assert.ok(out.includes(ch.local), `lsof shows ${ch.local}: ${out}`);
    }
  });

  it('a peek reads the first datagram and leaves it queued', async () => {
    const snap = await takeSnapshot({ kinds: ['udp'] });
    const e = (made[0].info as Record<'server', { inode: number }>).server;
    const ch = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === e.inode)!;
    const a = (await peekChannel(ch, snap.processes)) as BytesPeek;
    const b = (await peekChannel(ch, snap.processes)) as BytesPeek;
    assert.equal(a.data.length, 10, 'the first of two 10-byte datagrams');
    assert.deepEqual(b.data, a.data);
  });
});
