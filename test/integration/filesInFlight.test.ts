// Files in flight read by the BPF walk's pass (SnapshotOptions.filesInFlight) on real sockets: a
// pipe's read end sent in a 0-byte datagram (SCM_RIGHTS) and not received, a connected stream
// pair with nothing queued, a listener. The walk's counts must equal what each socket's fdinfo
// says (scm_fds), the listener is not read (its queue holds connections), the count drops once
// the file is received, a walk not asked reports none (even while another asks), the /proc walk
// reads none, and the diagnosis answers from the counts without reading fdinfo — as the service's
// worker runs it: the snapshot after a diagnosis that asked brings them.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/filesInFlight.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBpf, type BpfWalk } from '../../src/core/native';
import { bpfWalkSkip } from './bpfSkip';
import { takeSnapshot } from '../../src/core/snapshot';
import { newFilesInFlight } from '../../src/core/filesInFlight';
import { inFlightRequest, parseScmFds, readInFlight } from '../../src/core/diagnose/inFlight';
import type { UnixChannel } from '../../src/core/model';
import { python, Sampler, stopHelpers, type Helper } from './diagnoseUtil';
import { fdLinks } from '../procFds';

const bpf = loadBpf().addon;
let bpfSkip: string | false = 'not probed yet';
before(async () => {
  bpfSkip = await bpfWalkSkip();
});
after(stopHelpers);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-inflight-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// prints READY pipe-write-inode dgram-a fd dgram-b fd stream-1 stream-2 listener; on a line, receives the file
const SCRIPT = [
  'import os,sys,socket,array',
  'r,w=os.pipe()',
  'a,b=socket.socketpair(socket.AF_UNIX,socket.SOCK_DGRAM)',
  's1,s2=socket.socketpair(socket.AF_UNIX,socket.SOCK_STREAM)',
  'l=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)',
  'l.bind(sys.argv[1]); l.listen(4)',
  'a.sendmsg([b""],[(socket.SOL_SOCKET,socket.SCM_RIGHTS,array.array("i",[r]))])',
  'os.close(r)',
  'ino=lambda f: os.fstat(f).st_ino',
  'print("READY",ino(w),ino(a.fileno()),a.fileno(),ino(b.fileno()),b.fileno(),ino(s1.fileno()),ino(s2.fileno()),ino(l.fileno()),flush=True)',
  'sys.stdin.readline()',
  'm,anc,fl,ad=b.recvmsg(1,socket.CMSG_SPACE(4))',
  'print("GOT",len(anc),flush=True)',
  'sys.stdin.read()',
].join('\n');

interface Fixture {
  h: Helper;
  pipe: number;
  a: number;
  fa: number;
  b: number;
  fb: number;
  s1: number;
  s2: number;
  listener: number;
}

async function start(name: string): Promise<Fixture> {
  const h = await python(SCRIPT, [path.join(dir, name)]);
  const [pipe, a, fa, b, fb, s1, s2, listener] = h.ready.map(Number);
  return { h, pipe, a, fa, b, fb, s1, s2, listener };
}

/** Lets the fixture receive the file (its `GOT 1` line: one file in the message's ancillary data). */
function received(h: Helper): Promise<void> {
  return h.ask('go\n', 'GOT 1');
}

/** scm_fds of each socket fd of `pid`, by inode, from its fdinfo (the kernel's own answer). */
function fdinfoCounts(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const { fd, link } of fdLinks(pid)) {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) continue;
    const n = parseScmFds(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'), Number(m[1]));
    if (typeof n === 'number') out.set(Number(m[1]), n);
  }
  return out;
}

describe('files in flight from the BPF walk', () => {
  test("the pass's counts equal fdinfo's; a listener is not read; the count drops once the file is received", async (t) => {
    if (bpfSkip) return t.skip(bpfSkip);
    const f = await start('counts.sock');
    const fif = newFilesInFlight();
    const snap = await takeSnapshot({ walk: 'bpf-iter', filesInFlight: fif });
    assert.equal(snap.capabilities.walk?.backend, 'bpf-iter');
    assert.equal(fif.complete, true);
    assert.equal(fif.counts.get(f.b), 1, 'the datagram socket the file waits in');
    // only sockets with files waiting are listed: the others hold none
    for (const inode of [f.a, f.s1, f.s2, f.listener]) assert.equal(fif.counts.has(inode), false, `socket ${inode}`);
    // every socket of the fixture, as fdinfo counts it (a listener's is not read: it has none of its own)
    for (const [inode, n] of fdinfoCounts(f.h.pid)) assert.equal(fif.counts.get(inode) ?? 0, n, `socket ${inode}`);
    // the whole machine: every socket the pass lists is one the snapshot has, held by a process
    const held = new Set(snap.channels.filter((c) => c.kind === 'unix' && c.endpoints.some((e) => e.fd !== undefined)).map((c) => (c as UnixChannel).inode));
    for (const inode of fif.counts.keys()) assert.ok(held.has(inode), `socket ${inode} is held in the snapshot`);
    await received(f.h);
    const later = newFilesInFlight();
    await takeSnapshot({ walk: 'bpf-iter', filesInFlight: later });
    assert.equal(later.complete, true);
    assert.equal(later.counts.has(f.b), false);
    assert.deepEqual(fdinfoCounts(f.h.pid).get(f.b), 0);
    await f.h.stop();
  });

  test('a walk not asked reports no counts, also while another walk asks; the /proc walk reads none', async (t) => {
    if (bpfSkip || !bpf) return t.skip(bpfSkip || 'no BPF addon');
    const addon = bpf;
    const f = await start('twowalks.sock');
    const base = { threads: 0, pids: [f.h.pid], readMaps: false, readTimers: false, readLinks: false, measurePipes: false, itemTimeoutMs: 5000, deadlineMs: 30000 };
    const socketRows = (w: BpfWalk) => {
      const rows: Array<[number, number]> = [];
      for (let i = 0; i < w.fds.pid.length; i++) if (w.fds.kind[i] === 2 /* IPCI_FD_SOCKET */) rows.push([w.fds.inode[i], w.fds.buffered[i]]);
      return rows;
    };
    for (let round = 0; round < 5; round++) {
      const [asked, not]: BpfWalk[] = await Promise.all([addon.bpfWalk({ ...base, scmFds: true }), addon.bpfWalk({ ...base })]);
      const a = new Map(socketRows(asked));
      assert.equal(a.get(f.b), 1);
      assert.equal(a.get(f.listener), -1);
      const n = socketRows(not);
      assert.ok(n.length >= 5, JSON.stringify(n));
      assert.deepEqual(n.filter(([, c]) => c !== -1), [], 'no counts where not asked');
    }
    const lone = socketRows(await addon.bpfWalk({ ...base }));
    assert.deepEqual(lone.filter(([, c]) => c !== -1), []);
    const proc = newFilesInFlight();
    const snap = await takeSnapshot({ walk: 'proc', filesInFlight: proc });
    assert.equal(snap.capabilities.walk?.backend, 'proc');
    assert.deepEqual(proc, { complete: false, counts: new Map() });
    await f.h.stop();
  });

  test('the diagnosis takes the counts instead of reading fdinfo: same answer, no read', async (t) => {
    if (bpfSkip) return t.skip(bpfSkip);
    const f = await start('diagnosis.sock');
    const fif = newFilesInFlight();
    const snap = await takeSnapshot({ walk: 'bpf-iter', filesInFlight: fif });
    const mine = new Set([f.a, f.b, f.s1, f.s2, f.listener]);
    const unix = snap.channels.filter((c): c is UnixChannel => c.kind === 'unix' && mine.has(c.inode));
    const req = inFlightRequest(unix);
    // the oracle: fdinfo read with time to spare (the diagnosis's own 20 ms budget can run out on a loaded machine)
    const byFdinfo = readInFlight('/proc', req, () => false, 10_000);
    // a /proc that does not exist: any fdinfo read would fail and be counted as "could not be read again"
    const byWalk = readInFlight(path.join(dir, 'no-proc'), req, () => false, undefined, fif);
    assert.deepEqual(byWalk.sockets, byFdinfo.sockets);
    assert.deepEqual(byWalk.sockets, [{ inode: f.b, pid: f.h.pid, fd: f.fb, count: 1 }]);
    assert.equal(byWalk.read, byFdinfo.read);
    assert.equal(byWalk.fromWalk, byWalk.read);
    assert.equal(byFdinfo.fromWalk, 0);
    assert.deepEqual(byWalk.unknown, byFdinfo.unknown);
    await f.h.stop();
  });

  test("as the service's worker runs it: once the diagnosis asks, the next snapshot's walk answers, and the problem names the same socket", async (t) => {
    if (bpfSkip) return t.skip(bpfSkip);
    const f = await start('service.sock');
    const id = `no-other-end:no-reader:pipe:${f.pipe}`;
    const s = new Sampler({ walk: 'bpf-iter' });
    const sources: string[] = [];
    for (let i = 0; i < 40 && sources.length < 2; i++) {
      const d = await s.sample();
      const p = d.problems.find((x) => x.id === id);
      const unless = p?.evidence.find((e) => e.label === 'unless');
      if (!p || !unless) continue;
      assert.equal(p.severity, 'info');
      assert.match(unless.text, new RegExp(`^1 file is in flight, queued on unix:${f.b} `));
      sources.push(unless.source ?? '');
    }
    assert.equal(sources.length, 2, 'raised twice');
    // the first time it asks, the snapshot had no counts: fdinfo; the next one's walk read them
    assert.match(sources[0], /fdinfo/);
    assert.match(sources[1], /BPF walk/);
    await f.h.stop();
  });
});
