// Which fd walk runs (src/core/walkBackend.ts): bpf-iter where it can, else the native /proc walk,
// else the TypeScript one — and capabilities.walk says which and why. Fake addons stand in for
// the real ones (the real backends are compared in test/integration/walkBackends.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BpfAddon, BpfWalk, BpfWalkOptions, NativeAddon, ProcWalk, ProcWalkOptions } from '../../src/core/native';
import { applyBpfClasses, bpfAnonNameMax, bpfClasses, bpfRuleOptions, runWalk, stuckWalks, walkPreference, walkProcAndThreads } from '../../src/core/walkBackend';
import { DEVSHM_FDS, FIFO_FDS, MEMFD_FDS, MQUEUE_FDS, PIPE_FDS, SOCKET_FDS } from '../../src/core/kinds/fds';
import { EVENTFD_FDS } from '../../src/core/kinds/eventfd';
import { PTY_MASTER_FDS, PTY_SLAVE_FDS } from '../../src/core/kinds/pty';
import { signalfd } from '../../src/core/kinds/signalfd';
import { walkRulesFor, CHANNEL_KINDS } from '../../src/core/kinds';

const walk = (threads: number): ProcWalk => ({
  processes: [{ pid: 1, stat: '1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n', status: 'Uid:\t0\t0\t0\t0\n' }],
  fds: { pid: new Int32Array(), fd: new Int32Array(), kind: new Uint8Array(), mode: new Uint8Array(), inode: new Float64Array(), dev: new Float64Array(), pathIndex: new Int32Array(), infoIndex: new Int32Array(), buffered: new Float64Array(), capacity: new Float64Array() },
  paths: [],
  infos: [],
  elapsedMs: 1,
  threads,
});
const phases = { loadMs: 100, iteratorMs: 1, procFactsMs: 1, rowsMs: 0, taskMs: 0, taskRecords: 1, mapsMs: 0, mapsProcesses: 1, records: 0, bytes: 0, statx: 0 };
const native = { walkProc: async () => walk(2) } as unknown as NativeAddon;
const bpfOk = { bpfWalk: async () => ({ ...walk(3), bpf: phases }) as BpfWalk } as unknown as BpfAddon;
const bpfRejecting = (e: Error & { code?: string; unsupported?: boolean }) => ({ bpfWalk: async () => Promise.reject(e) }) as unknown as BpfAddon;
const opts: ProcWalkOptions = { procRoot: '/proc', threads: 0, fdRules: [PIPE_FDS.rule, SOCKET_FDS.rule, FIFO_FDS.rule, MQUEUE_FDS.rule, DEVSHM_FDS.rule], mapsRules: [{ text: '/SYSV' }], readTimers: true, readLinks: true };

test('bpf-iter runs when it can; its phases come back', async () => {
  const warnings: string[] = [];
  const r = await runWalk({ native, bpf: bpfOk }, opts, 'auto', warnings);
  assert.deepEqual(r.capability, { backend: 'bpf-iter' });
  assert.equal(r.walk.threads, 3);
  assert.equal(r.bpf?.loadMs, 100);
  assert.deepEqual(warnings, []);
});

test('cannot run here (not privileged, no BTF): the /proc walk, the reason, no warning', async () => {
  const warnings: string[] = [];
  const e = Object.assign(new Error('not privileged: loading the iterator needs root or CAP_BPF+CAP_PERFMON'), { code: 'EPERM', unsupported: true });
  const r = await runWalk({ native, bpf: bpfRejecting(e) }, opts, 'auto', warnings);
  assert.deepEqual(r.capability, { backend: 'proc', reason: 'bpf-iter: not privileged: loading the iterator needs root or CAP_BPF+CAP_PERFMON' });
  assert.deepEqual(warnings, []);
});

test('a BPF walk that fails (past its deadline): the /proc walk, and a warning', async () => {
  const warnings: string[] = [];
  const e = Object.assign(new Error('ETIMEDOUT: Connection timed out, read'), { code: 'ETIMEDOUT' });
  const r = await runWalk({ native, bpf: bpfRejecting(e) }, opts, 'auto', warnings);
  assert.equal(r.capability.backend, 'proc');
  assert.match(r.capability.reason ?? '', /^bpf-iter: ETIMEDOUT/);
  assert.deepEqual(warnings, ['BPF fd walk failed (ETIMEDOUT); used the /proc walk']);
});

test('processes the BPF walk gave up come back as they are (the snapshot names them, as for the /proc walk); runWalk adds no warning of its own', async () => {
  const warnings: string[] = [];
  const given: BpfWalk = { ...walk(3), processes: [{ pid: 7, error: 'ETIMEDOUT', stuck: '/proc/7/cmdline' }, { pid: 8, error: 'ETIMEDOUT' }], bpf: phases };
  const r = await runWalk({ native, bpf: { bpfWalk: async () => given } as unknown as BpfAddon }, opts, 'auto', warnings);
  assert.equal(r.capability.backend, 'bpf-iter');
  assert.deepEqual(r.walk.processes, given.processes);
  assert.deepEqual(warnings, []);
});

test("each native walk is handed the other's stuck list and the walk's timeouts; a /proc walk after a failed BPF walk gets what is left of the deadline", async () => {
  const seen: { bpf?: BpfWalkOptions; proc?: ProcWalkOptions } = {};
  const stuckProc = [{ pid: 11, what: '/proc/11/cmdline', ms: 5 }];
  const stuckBpf = [{ pid: 12, what: '/proc/12/maps', ms: 6 }];
  const nat = { walkProc: async (o: ProcWalkOptions) => ((seen.proc = o), walk(2)), stuckWalks: () => stuckProc } as unknown as NativeAddon;
  const slow = {
    bpfWalk: async (o: BpfWalkOptions) => {
      seen.bpf = o;
      await new Promise((r) => setTimeout(r, 50));
      throw Object.assign(new Error('ETIMEDOUT: Connection timed out, read'), { code: 'ETIMEDOUT' });
    },
    stuckWalks: () => stuckBpf,
  } as unknown as BpfAddon;
  const r = await runWalk({ native: nat, bpf: slow }, { ...opts, itemTimeoutMs: 300, deadlineMs: 20_000 }, 'auto', []);
  assert.equal(r.capability.backend, 'proc');
  assert.deepEqual(seen.bpf?.skipStuck, [{ pid: 11, what: '/proc/11/cmdline' }]);
  assert.equal(seen.bpf?.itemTimeoutMs, 300);
  assert.equal(seen.bpf?.deadlineMs, 20_000);
  assert.deepEqual(seen.proc?.skipStuck, [{ pid: 12, what: '/proc/12/maps' }]);
  assert.equal(seen.proc?.itemTimeoutMs, 300);
  assert.ok(seen.proc!.deadlineMs! < 20_000 && seen.proc!.deadlineMs! > 0, `the rest of the deadline (${seen.proc?.deadlineMs})`);
  assert.deepEqual(stuckWalks({ native: nat, bpf: slow }), [...stuckProc, ...stuckBpf]);
  assert.deepEqual(stuckWalks({ native: { stuckWalks: () => { throw new Error('old addon'); } } as unknown as NativeAddon, bpf: null }), []);
});

test('no BPF addon, a captured /proc, useGetfd, or walk: proc — each says why', async () => {
  const reason = async (b: Parameters<typeof runWalk>[0], o: ProcWalkOptions, pref: Parameters<typeof runWalk>[2] = 'auto') => (await runWalk(b, o, pref, [])).capability;
  assert.deepEqual(await reason({ native, bpf: null, bpfError: 'not built: missing clang' }, opts), { backend: 'proc', reason: 'bpf-iter: not built: missing clang' });
  assert.match((await reason({ native, bpf: bpfOk }, { ...opts, procRoot: '/tmp/captured' })).reason ?? '', /^bpf-iter: \/tmp\/captured is not this machine's \/proc/);
  assert.match((await reason({ native, bpf: bpfOk }, { ...opts, useGetfd: true })).reason ?? '', /useGetfd/);
  assert.deepEqual(await reason({ native, bpf: bpfOk }, opts, 'proc'), { backend: 'proc', reason: 'bpf-iter: not chosen (walk: proc)' });
});

test('walk preference: the option, else IPC_INSPECTOR_WALK, else auto; nonsense is auto', () => {
  const saved = process.env.IPC_INSPECTOR_WALK;
  try {
    delete process.env.IPC_INSPECTOR_WALK;
    assert.equal(walkPreference(undefined), 'auto');
    assert.equal(walkPreference('proc'), 'proc');
    process.env.IPC_INSPECTOR_WALK = 'proc-ts';
    assert.equal(walkPreference(undefined), 'proc-ts');
    assert.equal(walkPreference('bpf-iter'), 'bpf-iter');
    process.env.IPC_INSPECTOR_WALK = 'fast please';
    const warnings: string[] = [];
    assert.equal(walkPreference(undefined, warnings), 'auto');
    assert.deepEqual(warnings, ['IPC_INSPECTOR_WALK="fast please" is none of auto, bpf-iter, proc, proc-ts: the walk was chosen as with auto']);
    process.env.IPC_INSPECTOR_WALK = 'auto';
    assert.equal(walkPreference(undefined, warnings), 'auto');
    assert.equal(warnings.length, 1, 'auto is no typo');
  } finally {
    if (saved === undefined) delete process.env.IPC_INSPECTOR_WALK;
    else process.env.IPC_INSPECTOR_WALK = saved;
  }
});

// ------------------------------------------------------------------ anon-inode rules (eventfd, signalfd)

const ANON = [EVENTFD_FDS.rule, signalfd.fds.rule];
const status = (anonNameMax?: number, memfd?: boolean, pty?: boolean) => () => ({ libbpf: 'v1.1', programs: { walk: true }, ...(anonNameMax ? { anonNameMax } : {}), ...(memfd ? { memfd } : {}), ...(pty ? { pty } : {}) });

test('bpfClasses: exact anon_inode rules are served, fdinfo keys and all, when the build reports anon names; not by an older build', () => {
  const rules = walkRulesFor(CHANNEL_KINDS).fdRules;
  assert.ok(rules.some((r) => r.link === 'anon_inode:[eventfd]') && rules.some((r) => r.link === 'anon_inode:[signalfd]'), 'the default kinds ask for both');
  const now = bpfClasses(rules, 30, true, true);
  assert.deepEqual(now.unserved, []);
  assert.deepEqual(now.anon, [
    { code: 6, link: 'anon_inode:[eventfd]', fdinfo: ['eventfd-id', 'eventfd-count', 'eventfd-semaphore'] },
    { code: 7, link: 'anon_inode:[signalfd]', fdinfo: ['sigmask'] },
  ]);
  assert.deepEqual([...now.codes].sort((a, b) => a[0] - b[0]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [7, MEMFD_FDS.rule.code], [8, PTY_MASTER_FDS.rule.code], [9, PTY_SLAVE_FDS.rule.code]]);
  // a build with anon names and without the memfd class (7) cannot serve the memfd rule, nor one without the pty classes (8, 9) the pty rules
  assert.deepEqual(bpfClasses(rules, 30, false, true).unserved, [MEMFD_FDS.rule]);
  assert.deepEqual(bpfClasses(rules, 30, true).unserved, [PTY_MASTER_FDS.rule, PTY_SLAVE_FDS.rule]);
  // a device rule of other numbers, or with other fdinfo keys, is no pty class
  assert.equal(bpfClasses([{ ...PTY_SLAVE_FDS.rule, rdev: { major: [4, 4] } }], 30, true, true).unserved.length, 1);
  assert.equal(bpfClasses([{ ...PTY_MASTER_FDS.rule, fdinfo: ['pos'] }], 30, true, true).unserved.length, 1);
  const old = bpfClasses(rules);
  assert.deepEqual(old.unserved.map((r) => r.link), ['/', 'anon_inode:[eventfd]', '/', '/', 'anon_inode:[signalfd]']);
  assert.deepEqual(old.anon, []);
});

test('bpfClasses: anon rules the program cannot match stay unserved (prefix rules, names too long or empty, pipe-like options); fixed classes with fdinfo or exact too', () => {
  const r = (x: Partial<import('../../src/core/kinds/kind').FdRule>) => ({ code: 9, link: 'anon_inode:[x]', exact: true, ...x });
  const cases = [
    r({ exact: false }),
    r({ link: 'anon_inode:' }),
    r({ link: 'anon_inode:[' + 'n'.repeat(29) + ']' }), // 31 bytes
    r({ measure: true }),
    r({ bracket: true }),
    { ...PIPE_FDS.rule, fdinfo: ['pos'] },
    { ...SOCKET_FDS.rule, exact: true },
  ];
  for (const c of cases) assert.deepEqual(bpfClasses([c], 30).unserved, [c], JSON.stringify(c));
  const fits = r({ link: 'anon_inode:[' + 'n'.repeat(28) + ']', rw: true }); // 30 bytes
  assert.deepEqual(bpfClasses([fits], 30), { codes: new Map(), anon: [{ code: 9, link: fits.link, rw: true }], unserved: [] });
  // multi-byte names are measured in bytes, as the kernel's dentry name
  assert.deepEqual(bpfClasses([r({ link: 'anon_inode:' + 'é'.repeat(16) })], 30).unserved.length, 1);
});

test('bpfAnonNameMax: the build says; an older build, a missing or throwing bpfStatus says 0', () => {
  assert.equal(bpfAnonNameMax({ bpfStatus: status(30) } as unknown as BpfAddon), 30);
  assert.equal(bpfAnonNameMax({ bpfStatus: status() } as unknown as BpfAddon), 0);
  assert.equal(bpfAnonNameMax({} as unknown as BpfAddon), 0);
  assert.equal(bpfAnonNameMax({ bpfStatus: () => { throw new Error('gone'); } } as unknown as BpfAddon), 0);
  assert.equal(bpfAnonNameMax(null), 0);
});

test('bpfRuleOptions: class codes by class and the anon rules for a build that serves them; identity table (its kind column is in codes)', () => {
  const rules = [SOCKET_FDS.rule, { ...PIPE_FDS.rule, code: 40 }, ...ANON];
  const now = bpfRuleOptions(rules, 30);
  assert.deepEqual(now.options.classCodes, [0, 40, 2, 0, 0, 0]);
  assert.deepEqual(now.options.anonRules?.map((a) => a.code), [6, 7]);
  assert.deepEqual([...now.codes].sort((a, b) => a[0] - b[0]), [[2, 2], [6, 6], [7, 7], [40, 40]]);
  const old = bpfRuleOptions([SOCKET_FDS.rule, { ...PIPE_FDS.rule, code: 40 }], 0);
  assert.deepEqual(old.options, {});
  assert.deepEqual([...old.codes], [[2, 2], [1, 40]]);
});

test('applyBpfClasses: dropped rows take their fdinfo lines with them; kept rows point at theirs, re-indexed', () => {
  const w: ProcWalk = {
    ...walk(1),
    fds: {
      pid: Int32Array.from([10, 10, 11, 11]),
      fd: Int32Array.from([3, 4, 5, 6]),
      kind: Uint8Array.from([6, 9, 7, 6]),
      mode: Uint8Array.from([3, 3, 1, 3]),
      inode: new Float64Array(4),
      dev: new Float64Array(4),
      pathIndex: Int32Array.from([-1, -1, -1, -1]),
      infoIndex: Int32Array.from([0, 1, 2, -1]),
      buffered: Float64Array.from([-1, -1, -1, -1]),
      capacity: Float64Array.from([-1, -1, -1, -1]),
    },
    infos: ['eventfd-id: 1', 'dropped', 'sigmask:\t0000000000000200'],
  };
  const out = applyBpfClasses(w, new Map([[6, 6], [7, 7]]), { procRoot: '/proc', threads: 0, readTimers: false, readLinks: false });
  assert.deepEqual([...out.fds.fd], [3, 5, 6]);
  assert.deepEqual([...out.fds.kind], [6, 7, 6]);
  assert.deepEqual([...out.fds.infoIndex], [0, 1, -1]);
  assert.deepEqual(out.infos, ['eventfd-id: 1', 'sigmask:\t0000000000000200']);
  // an older build's walk without infoIndex: -1 for every row
  const bare = { ...w, fds: { ...w.fds, infoIndex: undefined as unknown as Int32Array }, infos: undefined as unknown as string[] };
  const o2 = applyBpfClasses(bare, new Map([[6, 6]]), { procRoot: '/proc', threads: 0, readTimers: false, readLinks: false });
  assert.deepEqual([...o2.fds.infoIndex], [-1, -1]);
  assert.deepEqual(o2.infos, []);
});

test('runWalk with the default kinds: a build that serves anon rules runs bpf-iter and is handed them with the class codes; an older build: the /proc walk, and why', async () => {
  const rules = walkRulesFor(CHANNEL_KINDS);
  const o: ProcWalkOptions = { procRoot: '/proc', threads: 0, ...rules, readTimers: true, readLinks: true };
  let seen: BpfWalkOptions | undefined;
  const raw: BpfWalk = {
    ...walk(3),
    fds: {
      pid: Int32Array.from([20, 20]),
      fd: Int32Array.from([3, 4]),
      kind: Uint8Array.from([6, 2]),
      mode: Uint8Array.from([3, 3]),
      inode: Float64Array.from([0, 77]),
      dev: new Float64Array(2),
      pathIndex: Int32Array.from([-1, -1]),
      infoIndex: Int32Array.from([0, -1]),
      buffered: Float64Array.from([-1, -1]),
      capacity: Float64Array.from([-1, -1]),
    },
    infos: ['eventfd-count: 3\neventfd-id: 12\neventfd-semaphore: 0'],
    bpf: phases,
  };
  const now = { bpfStatus: status(30, true, true), bpfWalk: async (x: BpfWalkOptions) => ((seen = x), raw) } as unknown as BpfAddon;
  const r = await runWalk({ native, bpf: now }, o, 'auto', []);
  assert.deepEqual(r.capability, { backend: 'bpf-iter' });
  assert.deepEqual(seen?.classCodes, [0, 1, 2, 3, 4, 5, 0, MEMFD_FDS.rule.code, PTY_MASTER_FDS.rule.code, PTY_SLAVE_FDS.rule.code]);
  assert.deepEqual(seen?.anonRules?.map((a) => a.link), ['anon_inode:[eventfd]', 'anon_inode:[signalfd]']);
  assert.deepEqual([...r.walk.fds.kind], [6, 2]);
  assert.equal(r.walk.infos[r.walk.fds.infoIndex[0]], raw.infos[0]);
  const old = { bpfStatus: status(), bpfWalk: async () => assert.fail('an older build must not be asked') } as unknown as BpfAddon;
  const r2 = await runWalk({ native, bpf: old }, o, 'auto', []);
  assert.deepEqual(r2.capability, { backend: 'proc', reason: 'bpf-iter: cannot report /memfd:, anon_inode:[eventfd], char 5:2, char 136-143, anon_inode:[signalfd]' });
  // anon names but no memfd class: the memfd rule is what it cannot serve
  const noMemfd = { bpfStatus: status(30, false, true), bpfWalk: async () => assert.fail('a build without the memfd class must not be asked') } as unknown as BpfAddon;
  const r3 = await runWalk({ native, bpf: noMemfd }, o, 'auto', []);
  assert.deepEqual(r3.capability, { backend: 'proc', reason: 'bpf-iter: cannot report /memfd:' });
  // memfds but no pty classes (a build before them): the pty rules
  const noPty = { bpfStatus: status(30, true), bpfWalk: async () => assert.fail('a build without the pty classes must not be asked') } as unknown as BpfAddon;
  const r4 = await runWalk({ native, bpf: noPty }, o, 'auto', []);
  assert.deepEqual(r4.capability, { backend: 'proc', reason: 'bpf-iter: cannot report char 5:2, char 136-143' });
});

test('the /proc walk walks the threads it found with an fd table of their own, in tid order, and merges their rows in pid order', async () => {
  const rows = (list: Array<[number, number, string | null]>, paths: string[]): Pick<ProcWalk, 'fds' | 'paths'> => {
    const n = list.length;
    const fds = walk(1).fds;
    const col = { pid: new Int32Array(n), fd: new Int32Array(n), kind: new Uint8Array(n).fill(3), mode: new Uint8Array(n).fill(1), inode: new Float64Array(n), dev: new Float64Array(n), pathIndex: new Int32Array(n), infoIndex: new Int32Array(n).fill(-1), buffered: new Float64Array(n).fill(-1), capacity: new Float64Array(n).fill(-1) };
    list.forEach(([pid, fd, p], i) => {
      col.pid[i] = pid;
      col.fd[i] = fd;
      col.inode[i] = pid * 100 + fd;
      col.pathIndex[i] = p === null ? -1 : paths.push(p) - 1;
    });
    return { fds: { ...fds, ...col }, paths };
  };
  const calls: ProcWalkOptions[] = [];
  const fake = {
    walkProc: async (o: ProcWalkOptions): Promise<ProcWalk> => {
      calls.push(o);
      if (!o.pids) {
        return { ...walk(2), processes: [{ pid: 100, threadTables: [150, 105] }, { pid: 120, threadTables: [130] }, { pid: 200 }], ...rows([[100, 3, '/a'], [120, 4, null], [200, 5, '/b']], []) };
      }
      return { ...walk(2), processes: o.pids.map((pid, k) => ({ pid, leader: o.leaders![k] })), ...rows([[105, 3, '/t'], [130, 7, null], [150, 9, '/u']], []) };
    },
  };
  const w = await walkProcAndThreads(fake, opts);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1].pids, [105, 130, 150], 'tid order');
  assert.deepEqual(calls[1].leaders, [100, 120, 100]);
  assert.deepEqual([...w.fds.pid], [100, 105, 120, 130, 150, 200]);
  assert.deepEqual([...w.fds.inode], [10003, 10503, 12004, 13007, 15009, 20005]);
  assert.deepEqual([...w.fds.pathIndex].map((i) => (i < 0 ? null : w.paths[i])), ['/a', '/t', null, null, '/u', '/b']);
  assert.deepEqual(w.processes.map((p) => [p.pid, p.leader]), [[100, undefined], [120, undefined], [200, undefined], [105, 100], [130, 120], [150, 100]]);
  // none found: one walk, returned as is
  calls.length = 0;
  const plain = { walkProc: async (o: ProcWalkOptions) => (calls.push(o), walk(2)) };
  assert.equal((await walkProcAndThreads(plain, opts)).processes.length, 1);
  assert.equal(calls.length, 1);
});
