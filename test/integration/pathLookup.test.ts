// Looking up a path another user controls while they swap a directory on it for a symlink into a
// FUSE mount whose server never answers a lookup. The paths of FIFOs and sockets are looked at
// (doctor's stale-socket rule, the mount-namespace mark) only where every directory is on a local
// file system and no symlink but root's is followed. Checked first and then stat'ed as a whole
// string, a swap between the two sent the stat into the FUSE mount, where it waited for good (an
// audit: 4 runs of 5 hung). Now the lookup goes one directory handle at a time (native
// lookupNoFollow): every one of thousands of lookups returns, and the server sees none of them.
// The lookups run in a child process (this file, IPCI_LOOKUP_CHILD), which a hang cannot take down
// with the test.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/pathLookup.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readMountTable, SafeLstat } from '../../src/core/diagnose/paths';
import { scanSocketFiles } from '../../src/core/diagnose/socketFiles';
import { loadNative } from '../../src/core/native';
import { compileTools, runAttacker, startHungFuse, stopAttacker, type Attacker, type HungFuse, type Tools } from './hostile';

const LOOKUPS = 3000;

if (process.env.IPCI_LOOKUP_CHILD) {
  // the child: LOOKUPS lookups of the path through SafeLstat (or, IPCI_LOOKUP_SCAN, stale-socket
  // scans of the directory above), then what they said
  const said: Record<string, number> = {};
  const table = readMountTable();
  // (IPCI_LOOKUP_BY_STRING: the check-then-stat way, without mount ids — to see it fail)
  const mounts = process.env.IPCI_LOOKUP_BY_STRING ? { types: table.types } : table;
  const target = process.env.IPCI_LOOKUP_CHILD;
  for (let i = 0; i < LOOKUPS; i++) {
    if (process.env.IPCI_LOOKUP_SCAN) {
      const scan = scanSocketFiles(new SafeLstat(mounts), { roots: [{ dir: path.dirname(path.dirname(target)), depth: 2 }], dirs: [], maxEntries: 100, deadline: performance.now() + 60_000 });
      const k = scan.scanned.some((d) => d.endsWith('/a')) ? 'read a' : 'skipped a';
      said[k] = (said[k] ?? 0) + 1;
      continue;
    }
    const l = new SafeLstat(mounts).lstat(target);
    const k = l.stat ? 'found' : l.missing ? 'missing' : 'skipped';
    said[k] = (said[k] ?? 0) + 1;
  }
  process.stdout.write(JSON.stringify(said) + '\n');
  process.exit(0);
}

/** Runs the child on `target` (env extra), killed after a minute; its exit code (or why not), what it said, and the FUSE requests it made. */
async function runChild(fuse: HungFuse, target: string, extra: Record<string, string> = {}): Promise<{ code: number | string; said: Record<string, number>; asked: HungFuse['requests'] }> {
  const env: NodeJS.ProcessEnv = { ...process.env, IPCI_LOOKUP_CHILD: target, ...extra };
  delete env.IPCI_LOOKUP_BY_STRING;
  if (process.env.IPCI_LOOKUP_SEE_IT_FAIL) env.IPCI_LOOKUP_BY_STRING = '1';
  const child = spawn(process.execPath, [__filename], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | string>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL'); // a lookup waiting in the FUSE mount dies with it
      resolve('timed out');
    }, 60_000);
    child.once('exit', (c, sig) => {
      clearTimeout(t);
      resolve(c ?? String(sig));
    });
  });
  const asked = fuse.requests.filter((r) => r.pid === child.pid);
  return { code, said: code === 0 ? (JSON.parse(out) as Record<string, number>) : {}, asked };
}

const skip = process.geteuid?.() !== 0 ? 'needs root (a FUSE mount, an attacker as nobody)' : !loadNative().addon?.lookupNoFollow ? 'native addon not built (lookupNoFollow)' : false;

describe('a directory swapped for a symlink into a hung FUSE mount, under lookups of a path through it', { skip }, () => {
  let tools: Tools;
  let fuse: HungFuse | undefined;
  let attacker: Attacker | undefined;
  let dir = '';

  before(async () => {
    tools = await compileTools();
    fuse = await startHungFuse(tools, 'lookup-hangs');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-swap-'));
    fs.chownSync(dir, 65534, 65534);
    attacker = runAttacker(tools, ['swap-dir', dir, fuse.mnt]);
    JSON.parse(await attacker.next('the swapper'));
  });
  after(async () => {
    await stopAttacker(attacker);
    await fuse?.close(); // a lookup still waiting in it fails then
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  it(`every one of ${LOOKUPS} lookups returns, and none reaches the FUSE server`, async () => {
    const { code, said, asked } = await runChild(fuse!, path.join(dir, 'a', 'x'));
    assert.equal(code, 0, `the lookups did not all return (${code}); the FUSE server was asked ${asked.length} time(s)`);
    assert.equal((said.found ?? 0) + (said.missing ?? 0) + (said.skipped ?? 0), LOOKUPS);
    assert.equal(said.found ?? 0, 0, `nothing is found there: ${JSON.stringify(said)}`);
    assert.ok((said.missing ?? 0) > 0, `the directory was looked in while it was one: ${JSON.stringify(said)}`);
    assert.deepEqual(asked, [], 'the FUSE server saw no request of ours');
  });

  it('a path through the FUSE mount itself is not looked up: not even its root is asked for its attributes', async () => {
    // (statx from the attribute cache: a plain stat of the mount point sends GETATTR)
    const { code, said, asked } = await runChild(fuse!, path.join(fuse!.mnt, 'x'));
    assert.equal(code, 0, `the lookups did not all return (${code})`);
    assert.equal(said.skipped, LOOKUPS, JSON.stringify(said));
    assert.deepEqual(asked, [], 'the FUSE server saw no request of ours');
  });

  it(`every one of ${LOOKUPS} stale-socket scans of the directory returns, and none reads the FUSE mount`, async () => {
    const { code, said, asked } = await runChild(fuse!, path.join(dir, 'a', 'x'), { IPCI_LOOKUP_SCAN: '1' });
    assert.equal(code, 0, `the scans did not all return (${code}); the FUSE server was asked ${asked.length} time(s)`);
    assert.ok((said['read a'] ?? 0) > 0, `the directory was read while it was one: ${JSON.stringify(said)}`);
    assert.deepEqual(asked, [], 'the FUSE server saw no request of ours');
  });
});
