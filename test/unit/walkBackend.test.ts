// Which fd walk runs (src/core/walkBackend.ts): bpf-iter where it can, else the native /proc walk,
// else the TypeScript one — and capabilities.walk says which and why. Fake addons stand in for
// the real ones (the real backends are compared in test/integration/walkBackends.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BpfAddon, BpfWalk, BpfWalkOptions, NativeAddon, ProcWalk, ProcWalkOptions } from '../../src/core/native';
import { runWalk, stuckWalks, walkPreference } from '../../src/core/walkBackend';
import { DEVSHM_FDS, FIFO_FDS, MQUEUE_FDS, PIPE_FDS, SOCKET_FDS } from '../../src/core/kinds/fds';

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
    assert.equal(walkPreference(undefined), 'auto');
  } finally {
    if (saved === undefined) delete process.env.IPC_INSPECTOR_WALK;
    else process.env.IPC_INSPECTOR_WALK = saved;
  }
});
