// The CLI's text in the locale's charset (src/cli/locale.ts, output.ts): the locale is LC_ALL, then
// LC_CTYPE, then LANG, as setlocale() resolves it; only a UTF-8 codeset keeps the typographic
// characters; every one the CLI's and the core's sources hold has an ASCII fallback; JSON and
// UTF-8 text go out byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { asciiFallbacks, asciiText, ctypeLocale, isUtf8Locale } from '../../src/cli/locale';
import { cliOutput } from '../../src/cli/output';

test('the locale: LC_ALL, then LC_CTYPE, then LANG; an empty one counts as unset; none is C', () => {
  assert.equal(ctypeLocale({ LC_ALL: 'C', LC_CTYPE: 'C.UTF-8', LANG: 'en_US.UTF-8' }), 'C');
  assert.equal(ctypeLocale({ LC_ALL: '', LC_CTYPE: 'C.UTF-8', LANG: 'C' }), 'C.UTF-8');
  assert.equal(ctypeLocale({ LANG: 'de_DE.UTF-8@euro' }), 'de_DE.UTF-8@euro');
  assert.equal(ctypeLocale({ LC_MESSAGES: 'C.UTF-8' }), 'C');
  assert.equal(ctypeLocale({}), 'C');
});

test('UTF-8 is a locale whose codeset says so', () => {
  for (const l of ['C.UTF-8', 'C.utf8', 'en_US.UTF-8', 'en_US.utf8', 'de_DE.UTF-8@euro', 'UTF-8']) assert.ok(isUtf8Locale(l), l);
  for (const l of ['C', 'POSIX', 'en_US', 'en_US.ISO-8859-1', 'de_DE@euro', 'ja_JP.eucJP', 'tr_TR.UTF-16', 'xutf8']) assert.ok(!isUtf8Locale(l), l);
});

test('every non-ASCII character in the CLI\'s and the core\'s sources has an ASCII fallback', () => {
  let root = __dirname;
  while (!fs.existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
  const seen = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) for (const c of fs.readFileSync(p, 'utf8')) if (c.codePointAt(0)! > 0x7f) seen.add(c);
    }
  };
  walk(path.join(root, 'src', 'cli'));
  walk(path.join(root, 'src', 'core'));
  seen.delete('\ufffd'); // in a comment: how an undecodable name would read (the CLI shows its bytes, `q\xff`)
  assert.ok(seen.has('—') && seen.has('→'), 'the sources were read');
  const left = [...seen].filter((c) => /[^\x20-\x7e]/.test(asciiFallbacks(c)));
  assert.deepEqual(left, [], `no fallback for ${left.map((c) => `U+${c.codePointAt(0)!.toString(16)} ${c}`).join(', ')}`);
});

test('the fallbacks: "-" for a dash, "->" for an arrow, "..." for an ellipsis; ASCII and other text untouched', () => {
  assert.equal(asciiFallbacks('12:00  live activity over 1.00 s — eBPF tracer'), '12:00  live activity over 1.00 s - eBPF tracer');
  assert.equal(asciiFallbacks('a[1] → b[2]  … 3 more  another user’s'), "a[1] -> b[2]  ... 3 more  another user's");
  assert.equal(asciiFallbacks('plain ASCII, café'), 'plain ASCII, café');
});

/** What cliOutput writes for each call, per stream. */
function captured(env: NodeJS.ProcessEnv) {
  const got = { stdout: '', stderr: '' };
  const sink = (k: keyof typeof got) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        got[k] += chunk.toString('utf8');
        cb();
      },
    });
  return { out: cliOutput(env, sink('stdout'), sink('stderr')), got };
}

test('cliOutput: text and notes in the locale\'s charset, JSON as is; UTF-8 byte for byte', () => {
  const text = 'a → b — c…\n';
  const json = '{"path":"/tmp/a → b"}\n';
  const c = captured({ LC_ALL: 'C', LANG: 'C.UTF-8' });
  c.out.text(text);
  c.out.data(json);
  c.out.note(text);
  assert.equal(c.got.stdout, 'a -> b - c...\n' + json);
  assert.equal(c.got.stderr, 'a -> b - c...\n');
  assert.equal(c.out.local('go → ? [y/N] '), 'go -> ? [y/N] ');
  const u = captured({ LANG: 'C.UTF-8' });
  u.out.text(text);
  u.out.data(json);
  u.out.note(text);
  assert.equal(u.got.stdout, text + json);
  assert.equal(u.got.stderr, text);
});

test('outside UTF-8 every other non-ASCII character is written as \\uXXXX, as ps writes it: its UTF-8 bytes would be C1 controls to an 8-bit terminal', () => {
  // `ě` is C4 9B and `ĝ` C4 9D: CSI and OSC to a terminal in Latin-1 or the C locale's charset
  const hostile = 'c1-\u011b2J\u011d0;PWNED\u011c';
  assert.equal(asciiText(hostile), 'c1-\\u011b2J\\u011d0;PWNED\\u011c');
  assert.equal(asciiText('caf\u00e9 → \u{1f600} \ud800 x'), 'caf\\u00e9 -> \\u{1f600} \\ud800 x');
  assert.equal(asciiText('plain\ttext\n'), 'plain\ttext\n');
  for (const env of [{ LC_ALL: 'C' }, { LANG: 'en_US.ISO-8859-1' }, { LC_ALL: 'POSIX' }]) {
    const c = captured(env);
    c.out.text(`fifo ${hostile}\n`);
    c.out.note(`warning: ${hostile}\n`);
    assert.match(c.got.stdout + c.got.stderr, /^[\x00-\x7f]*$/, JSON.stringify(env));
    assert.ok(!Buffer.from(c.got.stdout + c.got.stderr, 'utf8').some((b) => b >= 0x80), 'no byte 0x80-0xFF at all');
  }
  const u = captured({ LANG: 'C.UTF-8' });
  u.out.text(hostile);
  assert.equal(u.got.stdout, hostile, 'a UTF-8 terminal reads it as the letters it is');
});
