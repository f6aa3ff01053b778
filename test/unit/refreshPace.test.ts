// The live views' wait between scans (src/core/refreshPace.ts): the setting, or longer when a
// scan is slow, so that scanning takes at most MAX_SCAN_SHARE of the time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SCAN_SHARE, MIN_INTERVAL_MS, nextScanPace, notLiveNote, paceText } from '../../src/core/refreshPace';

test('quick scans wait what the setting asks (never under the minimum)', () => {
  assert.deepEqual(nextScanPace(1000, 30), { delayMs: 1000, stretched: false });
  assert.deepEqual(nextScanPace(1000, 250), { delayMs: 1000, stretched: false }, 'a quarter of a second of scan: 4 × 250 = 1000, not more');
  assert.deepEqual(nextScanPace(10, 1), { delayMs: MIN_INTERVAL_MS, stretched: false });
  assert.deepEqual(nextScanPace(Number.NaN, 0), { delayMs: MIN_INTERVAL_MS, stretched: false });
  assert.deepEqual(nextScanPace(1000, Number.NaN), { delayMs: 1000, stretched: false });
  assert.deepEqual(nextScanPace(1000, -5), { delayMs: 1000, stretched: false });
});

test('a slow scan stretches the wait so that scanning takes at most the share, rounded up to 100 ms', () => {
  const p = nextScanPace(1000, 870);
  assert.equal(p.stretched, true);
  assert.equal(p.delayMs, 3500);
  assert.ok(870 / (870 + p.delayMs) <= MAX_SCAN_SHARE);
  assert.equal(nextScanPace(1000, 251).delayMs, 1100);
  assert.equal(nextScanPace(60_000, 2000).stretched, false, 'a long setting is kept');
  for (const scan of [1, 99, 251, 999, 1234.5, 20_000]) {
    const { delayMs } = nextScanPace(500, scan);
    assert.ok(scan / (scan + delayMs) <= MAX_SCAN_SHARE + 1e-9, `scan ${scan}: wait ${delayMs}`);
  }
});

test('paceText', () => {
  assert.equal(paceText(750), '750 ms');
  assert.equal(paceText(1000), '1 s');
  assert.equal(paceText(3500), '3.5 s');
  assert.equal(paceText(12_300), '12 s');
});

describe('notLiveNote: the status bar while nothing refreshes it', () => {
  test('live: nothing; hidden or paused: as of the last scan, and why', () => {
    assert.equal(notLiveNote({ active: true, paused: false }, '2026-12-07T06:05:12Z'), undefined);
    const at = new Date(Date.parse('2026-12-07T06:05:12Z')).toLocaleTimeString('en-GB');
    assert.equal(notLiveNote({ active: false, paused: false }, '2026-12-07T06:05:12Z'), `As of ${at}: not refreshed while no IPC Inspector view is open.`);
    assert.equal(notLiveNote({ active: false, paused: true }, '2026-12-07T06:05:12Z'), `As of ${at}: live updates are paused.`);
    assert.equal(notLiveNote({ active: false, paused: false }, undefined), 'As of the last scan: not refreshed while no IPC Inspector view is open.');
  });
});
