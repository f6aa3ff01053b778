// Unbounded sizes, on real objects an unprivileged user may create: 40 SysV semaphore sets of
// as many semaphores as the kernel allows per set (32,000 here), made by an attacker running as
// nobody. Their diff is ~10 MB; the snapshot service's parts stay within DIFF_PART_BYTES each,
// the snapshot still carries every value, and the text the tree shows of such a set (label,
// description, tooltip lines) stays short. Sizes are asserted, never times.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/bounds.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Channel } from '../../src/core/model';
import { SnapshotService, findWorkerScript } from '../../src/core/snapshotService';
import { DIFF_PART_BYTES } from '../../src/core/snapshotWorker';
import { loadNative } from '../../src/core/native';
import { CAPS, channelDescription, channelLabel, channelTooltipLines } from '../../src/core/format';
import { canRunAttacker, startAttacker, type Attacker } from '../harness/otherUser';

const SETS = 40;
/** kernel.sem: SEMMSL SEMMNS SEMOPM SEMMNI. */
function semLimits(): { semmsl: number; semmns: number; semmni: number } {
  const [semmsl, semmns, , semmni] = fs.readFileSync('/proc/sys/kernel/sem', 'utf8').trim().split(/\s+/).map(Number);
  return { semmsl, semmns, semmni };
}
function semInUse(): { sets: number; sems: number } {
  const rows = fs.readFileSync('/proc/sysvipc/sem', 'utf8').trim().split('\n').slice(1);
  return { sets: rows.length, sems: rows.reduce((n, r) => n + Number(r.trim().split(/\s+/)[3] || 0), 0) };
}

const lim = semLimits();
const NSEMS = Math.min(32000, lim.semmsl);
const used = semInUse();
const skip = !canRunAttacker()
  ? 'needs root, setpriv and perl to create the sets as nobody'
  : !loadNative().addon
    ? 'needs the native addon (semaphore values come from semctl GETALL)'
    : !findWorkerScript()
      ? 'dist/snapshotWorker.js not built'
      : used.sets + SETS > lim.semmni || used.sems + SETS * NSEMS > lim.semmns
        ? `kernel.sem leaves no room for ${SETS} sets of ${NSEMS} (${JSON.stringify(lim)}, in use ${JSON.stringify(used)})`
        : false;

describe(`${SETS} SysV semaphore sets of ${NSEMS} semaphores made by nobody`, { skip }, () => {
  let attacker: Attacker;
  let service: SnapshotService;
  let mine: Channel[] = [];
  before(async () => {
    attacker = await startAttacker({ semSets: SETS, nsems: NSEMS });
    service = new SnapshotService({ kinds: ['sysv-sem'] });
    assert.equal(service.usingWorker, true, service.fallbackReason ?? '');
    const { snapshot } = await service.next();
    const ids = new Set(attacker.sems.map((id) => `sysv-sem:${id}`));
    mine = snapshot.channels.filter((c) => ids.has(c.id));
  });
  after(async () => {
    service?.dispose();
    await attacker?.close();
  });

  test('the snapshot has every set with every value', () => {
    assert.equal(mine.length, SETS);
    for (const c of mine) {
      assert.equal(c.kind, 'sysv-sem');
      if (c.kind !== 'sysv-sem') continue;
      assert.equal(c.nsems, NSEMS);
      assert.equal(c.values?.length, NSEMS);
      assert.equal(c.uid, 65534);
    }
  });

  test('the diff reached the main thread in parts of at most DIFF_PART_BYTES bytes', () => {
    const sizes = service.lastPartBytes;
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(total > 8 * DIFF_PART_BYTES, `the whole diff is ${total} bytes: big enough to need splitting by bytes`);
    assert.ok(sizes.length >= Math.ceil(total / DIFF_PART_BYTES), `${sizes.length} parts`);
    console.log(`${sizes.length} parts, ${total} bytes in all, largest ${Math.max(...sizes)}`);
    assert.ok(Math.max(...sizes) <= DIFF_PART_BYTES, `largest part ${Math.max(...sizes)} bytes > ${DIFF_PART_BYTES}`);
  });

  test('the tree text of such a set is bounded (label, description, tooltip lines)', () => {
    for (const c of mine) {
      const label = channelLabel(c);
      const desc = channelDescription(c);
      const tip = channelTooltipLines(c);
      assert.ok(label.length <= 200, `label ${label.length} chars`);
      assert.ok(desc.length <= 200, `description ${desc.length} chars: ${desc.slice(0, 80)}…`);
      assert.match(desc, new RegExp(`^${NSEMS} sems, values \\[.*, … ${NSEMS - CAPS.items} more\\]$`));
      for (const line of tip) assert.ok(line.length <= CAPS.line, `tooltip line ${line.length} chars: ${line.slice(0, 80)}…`);
      assert.ok(tip.join('\n').length <= 4000, `tooltip ${tip.join('\n').length} chars`);
    }
  });
});
