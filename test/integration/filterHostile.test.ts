// A filter in the form of a SysV key (`0x…`) or a channel id (`pipe:4901`) names objects only
// (core/filter.ts): another user's text that merely contains it must not bring anything into the
// views. Here the attacker (`nobody`) leaves stale socket files named like a key and like an id —
// problems about no object, which the Problems view lists under a plain-word filter when their
// title names it — and the diagnosis, narrowed as the views are, must not list them for that key
// or id. Run as root (the attacker is uid 65534).
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Problem } from '../../src/core/diagnose';
import { EMPTY_FILTER } from '../../src/core/filter';
import { loadNative } from '../../src/core/native';
import { cannotActAsNobody, NOBODY } from '../harness/otherUser';
import { python, Sampler, stopHelpers } from './diagnoseUtil';

const skip = cannotActAsNobody() || (loadNative().addon ? false : `native addon not loaded (${loadNative().error})`);

describe('a key- or id-shaped filter and other users\' names', { skip }, () => {
  after(() => stopHelpers());

  test("nobody's stale socket files named like a key and like an id are not listed under that key or id (a plain word in their path still lists them)", async () => {
    const dir = fs.mkdtempSync(path.join('/tmp', 'ipc-filter-hostile-'));
    fs.chmodSync(dir, 0o1777); // nobody binds in it
    const key = `0x${(0x51c00000 + (process.pid & 0xfffff)).toString(16).padStart(8, '0')}`;
    const id = `pipe:${900_000_000 + process.pid}`;
    try {
      const files = [path.join(dir, key), path.join(dir, id)];
      // the attacker listens on both (the diagnosis looks in a listener's directory), then exits without unlinking them
      const h = await python(
        'import socket,sys\nss=[]\nfor p in sys.argv[1:]:\n  s=socket.socket(socket.AF_UNIX)\n  s.bind(p)\n  s.listen(1)\n  ss.append(s)\nprint("READY",flush=True)\nsys.stdin.read()',
        files,
        { ...NOBODY, cwd: '/' },
      );
      for (const f of files) assert.equal(fs.lstatSync(f).uid, NOBODY.uid, 'the attacker made it');
      const inodes = files.map((f) => fs.lstatSync(f).ino);
      await h.stop();
      const s = new Sampler();
      const stale = (d: { problems: Problem[] }) => d.problems.filter((p) => p.id.startsWith('socket-path:stale:') && inodes.some((i) => p.id.endsWith(`:${i}`)));
      const found = await s.until((d) => (stale(d).length === 2 ? stale(d) : []), 'both stale socket files', { min: 2 });
      assert.ok(found.some((p) => p.title.includes(key)) && found.some((p) => p.title.includes(id)), found.map((p) => p.title).join('\n'));

      for (const text of [key, key.slice(0, 6), id, id.toUpperCase()]) {
        s.diagnoser.setNarrowing({ ...EMPTY_FILTER, text });
        const listed = stale(await s.sample());
        assert.deepEqual(listed.map((p) => p.title), [], `filter ${JSON.stringify(text)} names objects only`);
      }
      // a plain word still finds a problem about no object by its title
      s.diagnoser.setNarrowing({ ...EMPTY_FILTER, text: path.basename(dir) });
      assert.equal(stale(await s.sample()).length, 2, 'listed under a word of their path');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
