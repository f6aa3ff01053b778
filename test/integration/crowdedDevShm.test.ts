// /dev/shm crowded by another user: any user may create files there (mode 1777), ~1 KiB of kernel
// memory each, and each one unbounded was a channel of every snapshot (250,000 made one 2.6 s,
// 327 MiB and 67 MB of JSON). Nobody makes 2,500 files no process holds, and holds one more;
// root leaves one of its own. A snapshot lists at most 1,000 unheld objects per owner, always the
// held one and root's, and says how many of whose it left out. Counts are asserted, never times.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/crowdedDevShm.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { PosixShmChannel } from '../../src/core/model';
import { takeSnapshot } from '../../src/core/snapshot';
import { SHM_UNLISTED, UNHELD_SHM_PER_USER } from '../../src/core/probes/posix';
import { cannotActAsNobody, NOBODY, NOBODY_UID } from '../harness/otherUser';
import { lineReader } from './childLines';

const PREFIX = `ipc-crowd-${process.pid}-`;
const FILES = 2500;

/** As nobody: FILES empty files no one holds, and one it holds open; prints its pid, then waits. */
const CROWD = String.raw`
import os, sys
pre, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.close(os.open('/dev/shm/%s%d' % (pre, i), os.O_CREAT | os.O_WRONLY, 0o644))
held = os.open('/dev/shm/%sheld' % pre, os.O_CREAT | os.O_RDWR, 0o644)
print(os.getpid(), flush=True)
sys.stdin.read()
`;

const ours = (c: { kind: string; name?: string }): c is PosixShmChannel => c.kind === 'posix-shm' && (c as PosixShmChannel).name.startsWith(PREFIX);

describe('/dev/shm crowded by another user', { skip: cannotActAsNobody() }, () => {
  let crowd: ChildProcess;
  let pid: number;
  before(async () => {
    crowd = spawn('/usr/bin/python3', ['-c', CROWD, PREFIX, String(FILES)], { ...NOBODY, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
    pid = Number(await lineReader(crowd).next());
    fs.writeFileSync(`/dev/shm/${PREFIX}root`, '');
  });
  after(() => {
    crowd?.stdin?.end();
    for (const f of fs.readdirSync('/dev/shm')) if (f.startsWith(PREFIX)) fs.rmSync(`/dev/shm/${f}`, { force: true });
  });

  for (const [way, opts] of [
    ['default walk', {}],
    ['TypeScript walk', { useNative: false }],
  ] as const) {
    test(`at most ${UNHELD_SHM_PER_USER} of nobody's unheld objects, the held one and root's always, the rest said (${way})`, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['posix-shm'] });
      const mine = snap.channels.filter(ours);
      // (any of nobody's: other tests' leftovers count against the same bound)
      const unheld = snap.channels.filter((c): c is PosixShmChannel => c.kind === 'posix-shm' && (c as PosixShmChannel).uid === NOBODY_UID && c.endpoints.length === 0);
      assert.equal(unheld.length, UNHELD_SHM_PER_USER, `${unheld.length} of nobody's unheld files listed (${mine.length} of this test's)`);
      const held = mine.find((c) => c.name === `${PREFIX}held`);
      assert.ok(held && held.endpoints.some((e) => e.pid === pid), `the held one, with its holder: ${JSON.stringify(held)}`);
      assert.ok(mine.some((c) => c.name === `${PREFIX}root` && c.uid === 0), "root's own unheld object");
      const w = snap.warnings.find((x) => x.startsWith(SHM_UNLISTED));
      assert.ok(w, JSON.stringify(snap.warnings));
      const left = Number(new RegExp(`nobody \\(uid ${NOBODY_UID}\\): ([\\d,]+)`).exec(w)?.[1].replace(/,/g, ''));
      assert.ok(left >= FILES - UNHELD_SHM_PER_USER, `${left} of nobody's said not listed: ${w}`);
    });
  }
});
