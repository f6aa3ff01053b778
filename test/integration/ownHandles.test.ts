// The scanning process never shows as a holder of another process's pipes: its walk threads reopen
// each pipe read-only for a moment to measure it, and the walk of its own fd table on another
// thread used to list that handle (every CLI snapshot of 300 buffered pipes showed the CLI as one
// more reader of one or two of them; `doctor` then took a blocked writer for one being drained).
// Both walks, in this process and in the CLI's.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { takeSnapshot } from '../../src/core/snapshot';
import type { Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { bpfWalkSkip } from './bpfSkip';
import { cliNotBuilt, runCliAsync } from './cliRunner';
import { lineReader } from './childLines';

const PIPES = 300;
const ROUNDS = 5;
const noNative = loadNative().addon ? false : `native addon not loaded (${loadNative().error}): pipes are not measured`;

/** The pipes of `holder` that `walker` shows up on, as "pipe:N fd F". */
function strayEnds(s: Snapshot, holder: number, walker: number): string[] {
  const out: string[] = [];
  for (const c of s.channels) {
    if (!c.endpoints.some((e) => e.pid === holder)) continue;
    for (const e of c.endpoints) if (e.pid === walker) out.push(`${c.id} fd ${e.fd} ${e.mode}`);
  }
  return out;
}

/** `ipc-inspector snapshot --json --kind pipe` on `walk`: the snapshot and the CLI's own pid. */
async function cliSnapshot(walk: string): Promise<{ snap: Snapshot; pid: number }> {
  let pid = 0;
  const r = await runCliAsync(['snapshot', '--json', '--kind', 'pipe'], { env: { ...process.env, IPC_INSPECTOR_WALK: walk }, onSpawn: (p) => (pid = p) });
  assert.equal(r.code, 0, `snapshot exited ${r.code ?? r.signal}: ${r.stderr}`);
  return { snap: JSON.parse(r.stdout) as Snapshot, pid };
}

describe('the scanning process is not a holder of the pipes it measures', { skip: noNative }, () => {
  let holder!: ChildProcess;
  let bpfSkip: string | false = false;
  before(async () => {
    bpfSkip = await bpfWalkSkip();
    // PIPES pipes with a byte in each: both ends held, so every one is measured through its read end
    holder = spawn('python3', ['-c', `import os, sys\nos.closerange(3, 1 << 16)  # nothing shared with this process\nps = [os.pipe() for _ in range(${PIPES})]\nfor r, w in ps: os.write(w, b"x")\nprint("ready", flush=True)\nsys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await lineReader(holder).next('the holder ready');
    assert.equal(line, 'ready');
  });
  after(() => {
    holder?.kill('SIGKILL');
  });

  for (const walk of ['proc', 'bpf-iter'] as const) {
    test(`in this process, the ${walk} walk`, async (t) => {
      if (walk === 'bpf-iter' && bpfSkip) return t.skip(bpfSkip);
      for (let i = 0; i < ROUNDS; i++) {
        const s = await takeSnapshot({ walk, kinds: ['pipe'] });
        assert.equal(s.capabilities.walk?.backend, walk);
        const measured = s.channels.filter((c) => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === holder.pid) && c.bufferedBytes === 1).length;
        assert.equal(measured, PIPES, 'every pipe of the holder measured (1 byte)');
        assert.deepEqual(strayEnds(s, holder.pid!, process.pid), [], `round ${i}`);
      }
    });

    test(`in the CLI, the ${walk} walk`, { skip: cliNotBuilt }, async (t) => {
      if (walk === 'bpf-iter' && bpfSkip) return t.skip(bpfSkip);
      for (let i = 0; i < ROUNDS; i++) {
        const { snap, pid } = await cliSnapshot(walk);
        assert.equal(snap.capabilities.walk?.backend, walk);
        assert.deepEqual(strayEnds(snap, holder.pid!, pid), [], `round ${i}`);
      }
    });
  }
});
