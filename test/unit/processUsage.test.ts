// A process's CPU and memory for its tooltip (core/processUsage.ts) and the views' host line
// (core/hostSummary.ts): parsers on hostile text, and real processes measured.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { cpuBetween, processUsage, sampleUsage } from '../../src/core/processUsage';
import { parseStat, parseStatus } from '../../src/core/parsers/procPid';
import { distroOf, hostSummary } from '../../src/core/hostSummary';

test('stat times (parseStat, which the usage reads): fields after the last ")", whatever the command name holds', () => {
  const rest = 'S 1 2 3 4 5 6 7 8 9 10 120 30 0 0 20 0 1 0 98765 1000 50';
  const times = (text: string) => {
    const s = parseStat(text);
    return s && { ticks: s.cpuTicks, startTime: s.startTime };
  };
  assert.deepEqual(times(`42 (a) b) 99 (c) ${rest}`), { ticks: 150, startTime: 98765 });
  assert.deepEqual(times(`42 (x\ny z) ${rest}`), { ticks: 150, startTime: 98765 });
  assert.equal(times('42 (cut'), null);
  assert.equal(times('42 (x) S 1 2'), null);
  assert.equal(times(''), null);
});

test('VmRSS in bytes (parseStatus); none for a kernel thread', () => {
  assert.equal(parseStatus('Name:\tx\nVmRSS:\t    1234 kB\nThreads:\t1\n').vmRss, 1234 * 1024);
  assert.equal(parseStatus('Name:\tkthreadd\nThreads:\t1\n').vmRss, undefined);
  // a name line cannot pose as the field: Name holds no newline (the kernel escapes it)
  assert.equal(parseStatus('Name:\tVmRSS: 9 kB\nVmRSS:\t 1 kB\n').vmRss, 1024);
});

test('CPU between two samples: percent of one CPU; none across a pid reuse', () => {
  const a = { at: 1000, ticks: 100, startTime: 5, rss: 1 };
  assert.equal(cpuBetween(a, { ...a, at: 2000, ticks: 150 }), 50);
  assert.equal(cpuBetween(a, { ...a, at: 1500, ticks: 200 }), 200);
  assert.equal(cpuBetween(a, { ...a, at: 2000, ticks: 150, startTime: 6 }), null);
  assert.equal(cpuBetween(a, a), null);
});

test('a busy process shows CPU, a stopped one none; memory is its VmRSS; a pid bound to another start time gives nothing', async () => {
  const busy = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  const idle = spawn('sleep', ['60'], { stdio: 'ignore' });
  idle.kill('SIGSTOP'); // stopped: not one tick, however loaded the machine
  try {
    // a loaded machine may not run the busy loop within one interval: measured until it has run
    let b = await processUsage(busy.pid!, -1);
    for (let k = 0; k < 50 && b && b.usage.cpu === 0; k++) b = await processUsage(busy.pid!, b.sample.startTime, b.sample);
    const i = await processUsage(idle.pid!, -1);
    assert.ok(b && i, 'both measured');
    assert.ok(b.usage.cpu > 0, `busy ${b.usage.cpu} %`);
    assert.equal(i.usage.cpu, 0);
    assert.ok(b.usage.rss! > 0 && b.usage.memPercent! > 0 && b.usage.memPercent! < 100);
    // the next call measures since the sample the last one returned
    const again = await processUsage(busy.pid!, b.sample.startTime, b.sample);
    assert.ok(again && again.sample.at > b.sample.at);
    assert.equal(await processUsage(idle.pid!, i.sample.startTime + 1), null, 'another process with that pid');
    assert.equal(await sampleUsage(-1, -1), null);
  } finally {
    busy.kill('SIGKILL');
    idle.kill('SIGKILL');
  }
});

test('distro from os-release: NAME and VERSION_ID, quoted or not; PRETTY_NAME without them', async () => {
  assert.equal(distroOf('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'), 'Debian GNU/Linux 12');
  assert.equal(distroOf("NAME=Arch\nID=arch\n"), 'Arch');
  assert.equal(distroOf('PRETTY_NAME="Some \\"OS\\""\n'), 'Some "OS"');
  assert.equal(distroOf('garbage\n=x\n'), '');
  const h = await hostSummary();
  assert.equal(h.kernel, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.ok(h.cpus >= 1 && h.memTotal > 0 && h.distro.length > 0);
});
