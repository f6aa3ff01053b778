// What a process is from its stat facts (src/core/processState.ts): when it started, from its
// start time in clock ticks after boot and the boot time /proc/stat gives.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { bootSecondsIn, startInstant } from '../../src/core/processState';

test('a start time in ticks after boot is an instant: boot + ticks / USER_HZ', () => {
  assert.equal(bootSecondsIn('cpu  1 2 3\nintr 5\nctxt 9\nbtime 1764892800\nprocesses 7\n'), 1764892800);
  assert.equal(bootSecondsIn('cpu  1 2 3\n'), null);
  assert.equal(startInstant(2447341, 1764892800).toISOString(), new Date((1764892800 + 24473.41) * 1000).toISOString());
  // this process: started before now, after boot
  const boot = bootSecondsIn(fs.readFileSync('/proc/stat', 'latin1'))!;
  const st = fs.readFileSync('/proc/self/stat', 'utf8');
  const ticks = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[19]);
  const at = startInstant(ticks, boot).getTime();
  assert.ok(at <= Date.now() + 1000 && at >= boot * 1000, `started at ${new Date(at).toISOString()}`);
});
