// The words under the inspector's depth chart (webview/chartLegend.ts): latest value, limit, maximum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartFootnote, seriesLegend } from '../../webview/chartLegend';

test('a series that stayed at 0 says max 0, not the 1 that only keeps the scale from being zero', () => {
  assert.equal(seriesLegend('bytes', [0, 0, 0], undefined).text, 'bytes: 0 bytes (max 0 bytes)');
  assert.equal(seriesLegend('messages', [0, 0], 10).text, 'messages: 0 of 10 (max 0)');
});

test('the latest value, the limit and the highest sample', () => {
  assert.equal(seriesLegend('bytes', [4096, 65536, 4096], 65536).text, 'bytes: 4 KiB of 64 KiB (max 64 KiB)');
  assert.equal(seriesLegend('bytes/s', [0, 61440], undefined).text, 'bytes/s: 60 KiB/s (max 60 KiB/s)');
  // a trickle's average is under a byte a second: no fraction of a byte the counts never had
  assert.equal(seriesLegend('bytes/s', [0, 0.726, 0.2], undefined).text, 'bytes/s: < 1 byte/s (max < 1 byte/s)');
  assert.equal(seriesLegend('bytes/s', [726.4, 12.5], undefined).text, 'bytes/s: 13 bytes/s (max 726 bytes/s)');
  const r = seriesLegend('bytes', [4096], 65536);
  assert.equal(r.shown, '4 KiB');
  assert.equal(r.of, ' of 64 KiB');
});

test('the footnote counts one sample as one, not "1 samples"', () => {
  assert.equal(chartFootnote(1, 0, false), '1 sample over 0 s (each series scaled to its own maximum)');
  assert.equal(chartFootnote(5, 2, true), '5 samples over 2 s (each series scaled to its limit where one is known, else to its own maximum)');
});
