// signalfds on real objects (fixtures/ipc-fixture.c `signalfd`): a process blocks SIGUSR1 and
// SIGURG and reads them through a signalfd (PostgreSQL reads SIGURG so). The snapshot must show
// them as `signals.signalfd` (native and TypeScript walks, and the panel's process-only read); the
// signal policy must call them handled, not stuck; the diagnosis must not report a pending SIGURG
// the process will read as "never delivered"; the CLI's JSON carries them.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/signalfd.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { ProcessInfo, Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { signalRisk } from '../../src/core/actions/policy';
import { termDisposition } from '../../src/core/ports';
import { Sampler, touching } from './diagnoseUtil';

let fx: Fixture;
let target = 0;
before(async () => {
  fx = await makeFixture('signalfd');
  target = fx.info.target as number;
});
after(() => closeAll([fx]));

const proc = (s: Snapshot): ProcessInfo | undefined => s.processes.find((p) => p.pid === target);

describe('signalfd: signals a process reads itself', () => {
  for (const useNative of [true, false]) {
    it(`shows them as signals.signalfd, blocked on purpose (${useNative ? 'native' : 'TypeScript'} walk)`, { skip: useNative && !loadNative().addon ? 'native addon not built' : false }, async () => {
      const p = proc(await takeSnapshot({ useNative, kinds: ['pipe'] }));
      assert.ok(p, 'the target holds a pipe: kept in the snapshot');
      assert.deepEqual(p.signals.signalfd, ['SIGUSR1', 'SIGURG']);
      for (const s of ['SIGUSR1', 'SIGURG']) assert.ok(p.signals.blocked.includes(s), `${s} blocked`);
      const other = (await takeSnapshot({ useNative, kinds: ['pipe'] })).processes.find((x) => x.pid === fx.info.pid);
      assert.deepEqual(other?.signals.signalfd, [], 'a process without a signalfd: [] (always present)');
    });
  }

  it('the process-only read (the inspector panel\'s) shows them too', async () => {
    const s = await takeSnapshot({ pids: [target], processes: 'all', processOnly: true });
    assert.deepEqual(proc(s)?.signals.signalfd, ['SIGUSR1', 'SIGURG']);
  });

  it('the signal policy calls them handled, not stuck', async () => {
    const p = proc(await takeSnapshot({ kinds: ['pipe'] }))!;
    const r = signalRisk(p, 'SIGUSR1', { euid: 0, origin: { startedBy: 'test' } });
    assert.ok(!r.warnings.some((w) => /blocked/.test(w)), r.warnings.join('\n'));
    assert.ok(r.notes.some((n) => /read by the process itself \(via signalfd\)/.test(n)), r.notes.join('\n'));
    assert.ok(!r.notes.some((n) => /does not handle/.test(n)), 'handled: no default-action note');
    const usr2 = signalRisk(p, 'SIGUSR2', { euid: 0, origin: { startedBy: 'test' } });
    assert.ok(usr2.notes.some((n) => /does not handle SIGUSR2/.test(n)), 'a signal it does not read still gets its default');
    assert.deepEqual(termDisposition(p), { disposition: 'default', blocked: false });
  });

  it('a pending SIGURG it will read through the signalfd is not reported as never delivered', async () => {
    process.kill(target, 'SIGURG');
    const s = new Sampler({ kinds: ['pipe'] });
    await s.sample();
    const p = proc(s.snapshot!)!;
    assert.ok([...p.signals.pending, ...p.signals.shdPending].includes('SIGURG'), 'SIGURG is pending (the target never reads its signalfd)');
    await s.never((d) => touching(d, { rule: 'signal-trouble', pids: [target] }).filter((x) => x.id.startsWith('signal-trouble:pending:')), 'pending SIGURG read through a signalfd', 4);
  });

  it('the CLI JSON carries signals.signalfd', () => {
    const bin = path.resolve(__dirname, '../../../bin/ipc-inspector.js');
    const r = spawnSync(process.execPath, [bin, 'snapshot', '--json', '--kind', 'pipe', '--pid', String(target)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    assert.deepEqual(proc(snap)?.signals.signalfd, ['SIGUSR1', 'SIGURG']);
  });
});
