// Ids given back to `peek` (and the extension's commands given an id string) as the CLI printed
// them: escaped (`posix-mq:a\nb` for a name holding a newline), in the `KIND:bytes/HEX` form for
// any name, or exactly. unescapeControl undoes escapeControl; an id whose printed form two
// channels share (a name may hold a backslash of its own) is refused with both bytes/HEX ids. An id
// `top` cut to its column names the one channel it is the start of.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeControl, safeJson, unescapeControl } from '../../src/core/escape';
import { lookupChannelId, unambiguousIds } from '../../src/core/channelIds';
import { idOfPosixBytesForm, posixBytesId } from '../../src/core/posixNames';
import { channelOf } from '../../src/cli/peek';
import { ActionError } from '../../src/core/actions/errors';
import { filterSample, renderTop } from '../../src/cli/top';
import type { ActivitySample, ChannelActivity } from '../../src/core/activity/types';

const hex = (s: string) => Buffer.from(s).toString('hex');

test('unescapeControl undoes escapeControl for every text without a backslash', () => {
  const samples = [
    'plain',
    'p6h0nl\nforged line',
    'tab\there\r\n',
    'esc\x1b[31mred\x07',
    'del\x7f c1\x85\x9b',
    'bidi \u202egpj.exe \u2066x\u2069',
    'zw ngin\u200bx \u00ad \ufeff',
    'line\u2028para\u2029',
    'tags \u{e0041}\u{e0042} vs \u{fe0f}',
    'lone \ud800 and \udc00 end \ud83d',
    'emoji 😀 and é ü 中文 kept',
    '\0nul\x01start',
    '',
  ];
  for (const s of samples) {
    assert.equal(unescapeControl(escapeControl(s)), s, JSON.stringify(s));
  }
  // every code point below U+3000 and the ranges escapeControl touches above it, one at a time
  for (let c = 0; c < 0x3000; c++) {
    if (c === 0x5c) continue; // the backslash itself
    const s = `a${String.fromCharCode(c)}b`;
    assert.equal(unescapeControl(escapeControl(s)), s, `U+${c.toString(16)}`);
  }
  for (const c of [0xfeff, 0xfff9, 0x1bca0, 0x1d173, 0xe0000, 0xe0fff, 0x10ffff]) {
    const s = `a${String.fromCodePoint(c)}b`;
    assert.equal(unescapeControl(escapeControl(s)), s, `U+${c.toString(16)}`);
  }
});

test('unescapeControl reads JSON escapes too (an id copied out of --json text) and keeps what is no escape', () => {
  const name = 'q\n"\\/\b\f\u2028\u200b😀';
  const json = safeJson(name);
  assert.equal(unescapeControl(json.slice(1, -1)), name);
  assert.equal(unescapeControl('\\u000a'), '\n');
  assert.equal(unescapeControl('\\ud83d\\ude00'), '😀', 'a surrogate pair written as two escapes');
  assert.equal(unescapeControl('\\u{1F600}'), '😀');
  assert.equal(unescapeControl('a\\qb'), 'a\\qb');
  assert.equal(unescapeControl('a\\x4'), 'a\\x4');
  assert.equal(unescapeControl('a\\u{110000}'), 'a\\u{110000}');
  assert.equal(unescapeControl('end\\'), 'end\\');
});

test('posixBytesId / idOfPosixBytesForm: a name and its bytes/HEX form name each other', () => {
  assert.equal(posixBytesId('posix-mq:jobs'), `posix-mq:bytes/${hex('jobs')}`);
  assert.equal(posixBytesId('posix-shm:a\nb'), `posix-shm:bytes/${hex('a\nb')}`);
  assert.equal(posixBytesId('posix-sem:bytes/71ff'), 'posix-sem:bytes/71ff');
  assert.equal(posixBytesId('posix-mq:ns/0:19/q\n'), `posix-mq:ns/0:19/bytes/${hex('q\n')}`);
  for (const id of ['posix-mq:deleted/0:19:77', 'posix-shm:mount/0:5:12', 'posix-shm:file/0:5:12', 'pipe:4901', 'unix:12']) assert.equal(posixBytesId(id), id);
  assert.equal(idOfPosixBytesForm(`posix-mq:bytes/${hex('a\nb')}`), 'posix-mq:a\nb');
  assert.equal(idOfPosixBytesForm(`posix-shm:bytes/${hex('jobs').toUpperCase()}`), 'posix-shm:jobs');
  assert.equal(idOfPosixBytesForm('posix-sem:bytes/71ff'), 'posix-sem:bytes/71ff', 'not UTF-8: its id is the bytes form');
  assert.equal(idOfPosixBytesForm(`posix-mq:ns/0:19/bytes/${hex('q')}`), 'posix-mq:ns/0:19/q');
  for (const id of ['posix-mq:jobs', 'posix-mq:bytes/7', 'posix-mq:bytes/', 'posix-mq:bytes/612f62', 'posix-mq:bytes/6100', 'pipe:bytes/61', 'sysv-msg:bytes/61']) assert.equal(idOfPosixBytesForm(id), null, id);
});

const chan = (id: string) => ({ id, kind: id.slice(0, id.indexOf(':')) });

test('lookupChannelId: the exact id, the bytes/HEX form of any name, or the id as printed', () => {
  const nl = chan('posix-mq:p6h0nl\nforged line');
  const bad = chan('posix-shm:bytes/71ff');
  const plain = chan('posix-sem:jobs');
  const all = [chan('pipe:1'), nl, bad, plain, chan('posix-mq:other')];
  const one = (given: string) => {
    const r = lookupChannelId(all, given);
    assert.ok(r && 'channel' in r, `${JSON.stringify(given)} names one channel`);
    return r.channel;
  };
  assert.equal(one(nl.id), nl);
  assert.equal(one(escapeControl(nl.id)), nl, 'as the table prints it');
  assert.equal(one('posix-mq:p6h0nl\\nforged line'), nl);
  assert.equal(one('posix-mq:p6h0nl\\x0aforged line'), nl);
  assert.equal(one(`posix-mq:bytes/${hex('p6h0nl\nforged line')}`), nl);
  assert.equal(one(safeJson(nl.id).slice(1, -1)), nl, 'as --json writes it');
  assert.equal(one(bad.id), bad);
  assert.equal(one(`posix-sem:bytes/${hex('jobs')}`), plain);
  assert.equal(lookupChannelId(all, 'posix-mq:p6h0nl'), null);
  assert.equal(lookupChannelId(all, `posix-shm:bytes/${hex('jobs')}`), null, 'the bytes form keeps its kind');
});

test('lookupChannelId: a printed id two channels share names neither; each is listed by its bytes/HEX id', () => {
  // `a\nb` with a real newline and `a\nb` with a backslash print the same
  const real = chan('posix-mq:a\nb');
  const literal = chan('posix-mq:a\\nb');
  const all = [real, literal];
  assert.equal(escapeControl(real.id), escapeControl(literal.id));
  for (const given of [literal.id, escapeControl(real.id)]) {
    const r = lookupChannelId(all, given);
    assert.ok(r && 'ambiguous' in r, JSON.stringify(given));
    assert.deepEqual(unambiguousIds(r.ambiguous).sort(), [`posix-mq:bytes/${hex('a\nb')}`, `posix-mq:bytes/${hex('a\\nb')}`].sort());
  }
  for (const c of all) {
    const r = lookupChannelId(all, posixBytesId(c.id));
    assert.ok(r && 'channel' in r && r.channel === c, 'its bytes/HEX id names it alone');
  }
  // alone, the literal name is its own id
  const r = lookupChannelId([literal], literal.id);
  assert.ok(r && 'channel' in r && r.channel === literal);
  // the CLI's error: ENOTUNIQ, both ids on one line
  assert.throws(
    () => channelOf({ channels: all as never }, literal.id),
    (e: unknown) => e instanceof ActionError && e.code === 'ENOTUNIQ' && e.message.includes(`posix-mq:bytes/${hex('a\nb')}`) && e.message.includes(`posix-mq:bytes/${hex('a\\nb')}`),
  );
  assert.throws(() => channelOf({ channels: all as never }, 'posix-mq:zzz'), (e: unknown) => e instanceof ActionError && e.code === 'ENOENT');
});

test('an id `top` cut to its column names the one channel whose printed id starts so; several are refused, each by its whole bytes/HEX id', () => {
  const long = chan('posix-mq:a-queue-with-a-long-name-\n-for-the-jobs-1');
  const twinA = chan('posix-mq:results-for-the-render-workers-of-a');
  const twinB = chan('posix-mq:results-for-the-render-workers-of-b');
  const dots = chan('posix-mq:wait...');
  const all = [long, twinA, twinB, dots, chan('posix-mq:wait-for-it'), chan('pipe:1')];
  const lost = { counterMapFull: 0, signalRingFull: 0, signalQueueFull: 0, mqNameMapFull: 0, recursion: 0, total: 0 };
  const sample: ActivitySample = {
    at: new Date(0).toISOString(), intervalMs: 1000, source: 'bpf', pairs: [], unmatched: { bytes: 0, ops: 0, counters: 0 }, lost, lostTotal: lost,
    capability: { source: 'bpf', tracerAvailable: true } as ActivitySample['capability'],
    channels: Object.fromEntries(all.map((c, k) => [c.id, {
      channelId: c.id, kind: c.kind as ChannelActivity['kind'], sent: { bytes: 10 * (k + 1), ops: 1 }, received: { bytes: 0, ops: 0 }, bytesPerSec: 10 * (k + 1), opsPerSec: 1, processes: [], inSnapshot: true,
    }])),
  };
  // what top printed in its CHANNEL column for each
  const lines = renderTop(sample, null, 10);
  const col = lines.findIndex((l) => l.includes('CHANNEL'));
  const at = lines[col].indexOf('CHANNEL');
  const printed = new Map(lines.slice(col + 1).map((l) => [l.slice(at, at + 40).trimEnd(), l]));
  const shown = (c: { id: string }) => [...printed.keys()].find((p) => p === escapeControl(c.id) || (p.endsWith('…') && escapeControl(c.id).startsWith(p.slice(0, -1))))!;
  const cut = shown(long);
  assert.ok(cut.endsWith('…') && cut.length === 40, `top cut it: ${cut}`);
  assert.equal(channelOf({ channels: all as never }, cut), long, 'the cut id names its channel');
  assert.equal(channelOf({ channels: all as never }, cut.replace(/…$/, '...')), long, 'as printed where the locale is not UTF-8');
  const twins = shown(twinA);
  assert.ok(twins?.endsWith('…') && twins === shown(twinB), `two ids top cuts alike: ${twins}`);
  assert.throws(
    () => channelOf({ channels: all as never }, twins),
    (e: unknown) => e instanceof ActionError && e.code === 'ENOTUNIQ' && e.message.includes(`posix-mq:bytes/${hex('results-for-the-render-workers-of-a')}`) && e.message.includes(`posix-mq:bytes/${hex('results-for-the-render-workers-of-b')}`),
  );
  assert.equal(channelOf({ channels: all as never }, dots.id), dots, 'an id ending in `...` of its own is itself, not a prefix');
  assert.throws(() => channelOf({ channels: all as never }, 'posix-mq:nothing-starts-so…'), (e: unknown) => e instanceof ActionError && e.code === 'ENOENT');
  // the full ids are in top --json
  const json = JSON.parse(safeJson(filterSample(sample, null, null, null))) as ActivitySample;
  assert.deepEqual(Object.keys(json.channels).sort(), all.map((c) => c.id).sort());
});

test("a name as lsof, watch and doctor print it (`pipe:[4901]`, `unix:[77]`) names the channel whose id it is without the brackets", () => {
  const channels = [{ id: 'pipe:4901' }, { id: 'unix:77' }, { id: 'posix-mq:[1]' }];
  assert.deepEqual(lookupChannelId(channels, 'pipe:[4901]'), { channel: channels[0] });
  assert.deepEqual(lookupChannelId(channels, 'unix:[77]'), { channel: channels[1] });
  // a name that is brackets of its own is still itself
  assert.deepEqual(lookupChannelId(channels, 'posix-mq:[1]'), { channel: channels[2] });
  assert.equal(lookupChannelId(channels, 'pipe:[4902]'), null);
  assert.equal(lookupChannelId(channels, 'pipe:[4901'), null);
});
