// The real CLI's text in the locale's charset: under LC_ALL=C (or LANG=C, LC_ALL overriding a UTF-8
// LANG) `top` and `help` print ASCII — "-" for "—", "->" for "→" — and under a UTF-8 locale (also
// one only LC_CTYPE names) exactly what they printed before; `--json` is the same bytes whatever
// the locale (a FIFO path holding "→" stays "→").
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/cliLocale.test.js
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { asciiFallbacks } from '../../src/cli/locale';
import type { Snapshot } from '../../src/core/model';
import { BIN, cliNotBuilt, cliScratch } from './cliRunner';

const { tmp, fixture } = cliScratch('ipc-cli-locale-');

/** The CLI with the locale variables set as given (the others removed). */
function cliIn(locale: { LC_ALL?: string; LC_CTYPE?: string; LANG?: string }, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'LANG' || k.startsWith('LC_')) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...locale }, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const C_LOCALES = [{ LC_ALL: 'C', LANG: 'C.UTF-8' }, { LANG: 'C' }, { LC_ALL: 'POSIX' }, { LANG: 'en_US.ISO-8859-1' }];
const UTF8_LOCALES = [{ LANG: 'C.UTF-8' }, { LC_CTYPE: 'C.UTF-8', LANG: 'C' }, { LC_ALL: 'en_US.utf8' }];

describe('ipc-inspector in the locale\'s charset', { skip: cliNotBuilt }, () => {
  test('top: ASCII fallbacks where the charset is not UTF-8, "—" and "→" where it is', () => {
    const f = process.pid; // a process that exists: top's header and column titles are what is checked
    const args = ['top', '--no-tracer', '--count', '1', '--interval', '200', '--pid', String(f)];
    for (const locale of C_LOCALES) {
      const r = cliIn(locale, args);
      const what = `${JSON.stringify(locale)}: exit ${r.code}\n${r.stdout}${r.stderr}`;
      assert.equal(r.code, 0, what);
      assert.match(r.stdout + r.stderr, ASCII_ONLY, what);
      assert.match(r.stdout, / s - queue-depth changes /, what);
      assert.match(r.stdout, / SENDERS -> RECEIVERS$/m, what);
    }
    for (const locale of UTF8_LOCALES) {
      const r = cliIn(locale, args);
      const what = `${JSON.stringify(locale)}: exit ${r.code}\n${r.stdout}${r.stderr}`;
      assert.equal(r.code, 0, what);
      assert.match(r.stdout, / s — queue-depth changes /, what);
      assert.match(r.stdout, / SENDERS → RECEIVERS$/m, what);
    }
  });

  test('help: the same text in every UTF-8 locale, and its fallbacks, character for character, in the others', () => {
    // (src/cli.ts's HELP itself cannot be imported here: the bundle would run as the CLI)
    const help = cliIn(UTF8_LOCALES[0], ['help']).stdout;
    assert.ok(help.includes('—') && help.includes('→'), help);
    for (const locale of UTF8_LOCALES) assert.equal(cliIn(locale, ['help']).stdout, help, JSON.stringify(locale));
    for (const locale of C_LOCALES) assert.equal(cliIn(locale, ['help']).stdout, asciiFallbacks(help), JSON.stringify(locale));
    assert.match(asciiFallbacks(help), ASCII_ONLY);
  });

  test('--json is the same under C: a FIFO path holding "→" and "—" stays as it is', async () => {
    const fifoPath = path.join(tmp, 'a → b — c');
    const f = await fixture('fifo', { path: fifoPath });
    const args = ['snapshot', '--json', '--kind', 'fifo', '--pid', String(f.info.reader.pid)];
    for (const locale of [...C_LOCALES, ...UTF8_LOCALES]) {
      const r = cliIn(locale, args);
      assert.equal(r.code, 0, r.stderr);
      const snap = JSON.parse(r.stdout) as Snapshot;
      assert.ok(snap.channels.some((c) => c.kind === 'fifo' && c.path === fifoPath), `${JSON.stringify(locale)}: ${r.stdout.slice(0, 2000)}`);
    }
  });
});
