// eventfds on real objects (fixtures/ipc-fixture.c `eventfd`): a forked producer and consumer share
// one. The snapshot joins them by fdinfo's eventfd-id (native walk and TypeScript walk), shows the
// counter the producer wrote and the mode; a peek re-reads fdinfo and never consumes the counter
// (1,000 peeks, then the consumer's own read still gets it); the CLI lists it.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/eventfd.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { EventfdChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel } from '../../src/core/actions/peek';

const made: Fixture[] = [];
after(() => closeAll(made));

async function eventfd(info: Fixture['info'], useNative: boolean): Promise<EventfdChannel | undefined> {
  const snap = await takeSnapshot({ kinds: ['eventfd'], useNative });
  return snap.channels.find((c): c is EventfdChannel => c.kind === 'eventfd' && c.eventfdId === info.eventfdId);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const native = loadNative().addon;

describe('eventfd shared by a forked producer and consumer', () => {
  for (const useNative of [true, false]) {
    it(`is one channel with both holders, the counter and the mode (${useNative ? 'native' : 'TypeScript'} walk)`, { skip: useNative && !native ? 'native addon not built' : false }, async () => {
      const fx = await makeFixture('eventfd', { count: 3 });
      made.push(fx);
      const ch = await eventfd(fx.info, useNative);
      assert.ok(ch, `eventfd:${fx.info.eventfdId} found`);
      assert.equal(ch.id, `eventfd:${fx.info.eventfdId}`);
      assert.deepEqual(ch.endpoints, [fx.info.producer, fx.info.consumer]);
      assert.equal(ch.count, 3);
      assert.equal(ch.semaphore, false);
      assert.ok(!ch.endpoints.some((e) => e.pid === fx.info.pid), 'the fixture closed its own copy');
    });
  }

  it('a peek reads the counter from fdinfo and never consumes it; the consumer\'s read then takes it', async () => {
    const fx = await makeFixture('eventfd', { count: 5 });
    made.push(fx);
    const ch = await eventfd(fx.info, true);
    assert.ok(ch);
    for (let i = 0; i < 1000; i++) {
      const p = await peekChannel(ch, undefined, {});
      assert.equal(p.type, 'facts');
      if (p.type === 'facts') assert.equal(p.facts.find((f) => f.id === 'count')?.text, '5');
    }
    const still = await eventfd(fx.info, true);
    assert.equal(still?.count, 5, 'a thousand peeks left the counter as it was');
    process.kill(fx.info.consumer.pid as number, 'SIGUSR1');
    const drained = await until('the consumer to read', async () => {
      const c = await eventfd(fx.info, true);
      return c && c.count === 0 ? c : undefined;
    });
    assert.equal(drained.count, 0, 'the consumer read the whole counter (what the peeks did not)');
  });

  it('semaphore mode: each read takes 1', async () => {
    const fx = await makeFixture('eventfd', { count: 3, semaphore: 1 });
    made.push(fx);
    const ch = await eventfd(fx.info, true);
    assert.equal(ch?.semaphore, true);
    process.kill(fx.info.consumer.pid as number, 'SIGUSR1');
    const after1 = await until('the consumer to read', async () => {
      const c = await eventfd(fx.info, true);
      return c && c.count !== 3 ? c : undefined;
    });
    assert.equal(after1.count, 2);
  });

  it('a peek whose holder\'s fd is no longer that eventfd fails with ESTALE (nothing else is read)', async () => {
    const fx = await makeFixture('eventfd', { count: 1 });
    made.push(fx);
    const ch = await eventfd(fx.info, true);
    assert.ok(ch);
    const wrong = { ...ch, id: `eventfd:${ch.eventfdId + 1000000}`, eventfdId: ch.eventfdId + 1000000 };
    await assert.rejects(peekChannel(wrong, undefined, {}), { code: 'ESTALE' });
  });

  it('the CLI lists it (table and --json)', async () => {
    const fx = await makeFixture('eventfd', { count: 7 });
    made.push(fx);
    const bin = path.resolve(__dirname, '../../../bin/ipc-inspector.js');
    if (!fs.existsSync(path.resolve(__dirname, '../../cli.js'))) assert.fail('dist/cli.js not built');
    const table = spawnSync(process.execPath, [bin, 'snapshot', '--kind', 'eventfd'], { encoding: 'utf8' });
    assert.equal(table.status, 0, table.stderr);
    const row = table.stdout.split('\n').find((l) => l.startsWith(`eventfd:${fx.info.eventfdId} `));
    assert.ok(row, table.stdout);
    assert.match(row, /\b7\b/);
    assert.match(table.stdout, /^eventfd \(\d+\)$/m);
    const json = spawnSync(process.execPath, [bin, 'snapshot', '--json', '--kind', 'eventfd', '--pid', String(fx.info.producer.pid)], { encoding: 'utf8' });
    const snap = JSON.parse(json.stdout) as { channels: EventfdChannel[] };
    const c = snap.channels.find((x) => x.eventfdId === fx.info.eventfdId);
    assert.deepEqual(c && { count: c.count, semaphore: c.semaphore, pids: c.endpoints.map((e) => e.pid) }, { count: 7, semaphore: false, pids: [fx.info.producer.pid, fx.info.consumer.pid] });
    // peek prints the counter it read, not only its header (ninth pass)
    const peek = spawnSync(process.execPath, [bin, 'peek', `eventfd:${fx.info.eventfdId}`], { encoding: 'utf8' });
    assert.equal(peek.status, 0, peek.stderr);
    assert.match(peek.stdout, /^Counter: 7$/m, peek.stdout);
  });
});
