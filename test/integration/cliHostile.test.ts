// The real CLI on real objects that an unprivileged attacker (nobody) named to attack a terminal:
// ESC and C1 sequences (CSI, OSC, ST), bidi overrides, line separators, a VS Code command link,
// characters that draw nothing (zero-width space, word joiner, tag characters: a name that reads
// as another).
// Every text output (snapshot table, watch, peek, signal, errors) shows them escaped; every JSON
// output escapes C1, DEL, U+2028/2029 and bidi controls as \uXXXX and still parses to the exact
// names. The signal command applies the shared policy: the attacker's process is another user's,
// so without a terminal to confirm on nothing is sent unless --yes is given.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/cliHostile.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { NOBODY, runAsNobody } from '../harness/otherUser';
import { canRunAttacker, startAttacker, type Attacker } from '../harness/otherUser';
import { BIN, cliNotBuilt, runCli } from './cliRunner';
import { CMDLINE_MAX } from '../../src/core/textBounds';

const skip = cliNotBuilt || (!canRunAttacker() ? 'needs root, setpriv and perl to run an attacker as nobody' : false);

const cli = (args: string[], input?: string) => runCli(args, { input });

/** Code points a terminal or viewer acts on (newline allowed: it separates lines), or that draw nothing. */
// eslint-disable-next-line no-misleading-character-class -- code points listed by escape on purpose: combining ones (variation selectors) among them
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u206f\u061c\u00ad\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb\u{e0000}-\u{e0fff}]/u;
function assertClean(what: string, text: string) {
  const m = RAW.exec(text);
  assert.equal(m, null, `${what}: raw U+${m ? m[0].charCodeAt(0).toString(16).padStart(4, '0') : ''} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`);
}

const tag = `ipc9-${process.pid}`;
const NAMES = [
  `${tag}-esc-\x1b[2J\x1b]0;pwned\x07`,
  `${tag}-c1-\u009b31m\u009d0;title\u009c`,
  `${tag}-bidi-\u202egpj.exe\u2066x\u2069`,
  `${tag}-sep-\u2028\u2029`,
  `${tag}-link-[x](command:workbench.action.terminal.new)`,
  `${tag}-zw-ngin\u200bx\u2060\u{e0041}`,
];

/** How the table shows a name: every code point RAW matches as `\xNN`, `\uNNNN` or `\u{NNNNN}`. */
function shownName(n: string): string {
  // eslint-disable-next-line no-misleading-character-class -- RAW's code points, listed by escape on purpose
  return n.replace(new RegExp(RAW.source, 'gu'), (c) => {
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? '\\x' + cp.toString(16).padStart(2, '0') : cp > 0xffff ? `\\u{${cp.toString(16)}}` : '\\u' + cp.toString(16).padStart(4, '0');
  });
}
const COMM = '\x1b]0;t\x07\u009b1m';
/** Letters whose UTF-8 bytes hold C1 controls (U+011B is C4 9B: CSI to a terminal in an 8-bit charset). */
const C1_IN_UTF8 = `${tag}-c1utf8-\u011b2J\u011d0;PWNED\u011c`;

/** A TCP listener on 127.0.0.1 that perl runs as nobody with these arguments (`prelude` first: `$0 = $ARGV[0];` names it), and its port once it listens. */
async function nobodyListener(prelude: string, args: string[]): Promise<{ server: ChildProcess; port: number }> {
  const code = `${prelude} my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1", LocalPort => 0) or die "$!"; $| = 1; print $s->sockport, "\\n"; sleep 300`;
  const server: ChildProcess = spawn('perl', ['-MIO::Socket::INET', '-e', code, ...args], { ...NOBODY, cwd: '/', stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin' } });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (b) => {
      out += b;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    server.once('exit', (c) => reject(new Error(`the listener exited (${c})`)));
  });
  return { server, port };
}

describe('CLI output with hostile names made by an unprivileged user', { skip }, () => {
  let attacker: Attacker;
  before(async () => {
    attacker = await startAttacker({ comm: COMM, shm: [...NAMES, C1_IN_UTF8] });
  });
  after(async () => {
    await attacker?.close();
  });

  test('snapshot (table) prints every hostile name escaped, one line each', () => {
    const r = cli(['snapshot', '--kind', 'posix-shm']);
    assert.equal(r.code, 0, r.stderr);
    assertClean('stdout', r.stdout);
    assertClean('stderr', r.stderr);
    for (const n of NAMES) {
      const shown = n.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => (c.charCodeAt(0) < 0x100 ? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0') : '\\u' + c.charCodeAt(0).toString(16)));
      assert.ok(r.stdout.includes(shownName(n)), `${JSON.stringify(shownName(n))} not in the table`);
      if (n !== NAMES[5]) assert.equal(shownName(n), shown, 'the same escapes as before for every control and bidi character');
    }
    assert.ok(r.stdout.includes(`${tag}-zw-ngin\\u200bx\\u2060\\u{e0041}`), 'the invisible characters are visible escapes');
  });

  test('outside a UTF-8 locale no byte 0x80-0xFF reaches the terminal: letters whose UTF-8 holds C1 bytes are written \\uXXXX (as ps does); in UTF-8 as they are', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k === 'LANG' || k.startsWith('LC_')) delete env[k];
    for (const locale of [{ LC_ALL: 'C' }, { LANG: 'en_US.ISO-8859-1' }, { LC_ALL: 'POSIX', LANG: 'C.UTF-8' }]) {
      const r = spawnSync(process.execPath, [BIN, 'snapshot', '--kind', 'posix-shm'], { env: { ...env, ...locale }, maxBuffer: 256 << 20, timeout: 120_000 });
      assert.equal(r.status, 0, String(r.stderr));
      const high = [...(r.stdout as Buffer), ...(r.stderr as Buffer)].filter((b) => b >= 0x80).length;
      assert.equal(high, 0, `${JSON.stringify(locale)}: ${high} bytes of 0x80-0xFF written`);
      assert.ok(r.stdout.toString('latin1').includes(`${tag}-c1utf8-\\u011b2J\\u011d0;PWNED\\u011c`), JSON.stringify(locale));
    }
    const u = spawnSync(process.execPath, [BIN, 'snapshot', '--kind', 'posix-shm'], { env: { ...env, LANG: 'C.UTF-8' }, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
    assert.ok(u.stdout.includes(C1_IN_UTF8), 'UTF-8: the letters themselves');
  });

  test('snapshot --json escapes C1, separators and bidi as \\u escapes and round-trips the names', () => {
    const r = cli(['snapshot', '--json', '--kind', 'posix-shm']);
    assert.equal(r.code, 0, r.stderr);
    assertClean('stdout', r.stdout);
    assert.ok(r.stdout.includes('\\u009b'), 'C1 CSI escaped');
    assert.ok(r.stdout.includes('\\u202e'), 'RLO escaped');
    assert.ok(r.stdout.includes('\\u2028'), 'LINE SEPARATOR escaped');
    assert.ok(r.stdout.includes('\\u200b') && r.stdout.includes('\\u2060') && r.stdout.includes('\\udb40\\udc41'), 'ZWSP, WORD JOINER and a tag character escaped');
    const names = (JSON.parse(r.stdout) as { channels: Array<{ kind: string; name?: string }> }).channels.filter((c) => c.kind === 'posix-shm').map((c) => c.name);
    for (const n of NAMES) assert.ok(names.includes(n), `${JSON.stringify(n)} not round-tripped`);
  });

  test('peek (text and --json) and its errors print ids escaped', () => {
    for (const n of NAMES) {
      const id = `posix-shm:${n}`;
      const t = cli(['peek', id]);
      assert.equal(t.code, 0, t.stderr);
      assertClean(`peek ${JSON.stringify(n)}`, t.stdout + t.stderr);
      assert.match(t.stdout, /^posix-shm:ipc9-\d+-\w+-.* \(posix-shm\) read /);
      const j = cli(['peek', id, '--json']);
      assert.equal(j.code, 0, j.stderr);
      assertClean('peek --json', j.stdout);
      assert.equal(JSON.parse(j.stdout).channelId, id);
    }
    const gone = cli(['peek', `posix-shm:${tag}-gone-\x1b[2J\u009b2J`]);
    assert.equal(gone.code, 1);
    assertClean('peek error', gone.stderr);
    assert.match(gone.stderr, /^ipc-inspector peek: ENOENT: no channel posix-shm:ipc9-\d+-gone-\\x1b\[2J\\x9b2J /);
    const usage = cli(['snapshot', '--kind', `pipe\x1b[2J\u009b`]);
    assert.equal(usage.code, 2);
    assertClean('usage error', usage.stderr);
  });

  test('watch (text and --json) prints a hostile object appearing, escaped', async () => {
    const run = (json: boolean) =>
      new Promise<string>((resolve, reject) => {
        const w = spawn(process.execPath, [BIN, 'watch', '--interval', '200', '--kind', 'posix-shm', ...(json ? ['--json'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let late: Attacker | undefined;
        let starting = false;
        const timer = setTimeout(() => w.kill('SIGKILL'), 20_000);
        w.stdout.on('data', (b) => {
          out += b;
          // After the first report, an object appears: it must show up on a later line.
          if (!starting && out.includes('\n')) {
            starting = true;
            void startAttacker({ shm: [`${tag}-late-${json ? 'j' : 't'}-\x1b[31m\u009b`] }).then((a) => (late = a), reject);
          }
          if (late && out.includes(`${tag}-late-`)) w.kill('SIGTERM');
        });
        w.on('exit', () => {
          clearTimeout(timer);
          void late?.close().then(() => resolve(out), reject);
          if (!late) resolve(out);
        });
      });
    const text = await run(false);
    assertClean('watch', text);
    assert.match(text, /\+ posix-shm \/ipc9-\d+-late-t-\\x1b\[31m\\x9b/);
    const json = await run(true);
    assertClean('watch --json', json);
    const lines = json.trim().split('\n').map((l) => JSON.parse(l) as { addedChannels: Array<{ name?: string }> });
    assert.ok(lines.some((d) => d.addedChannels.some((c) => c.name === `${tag}-late-j-\x1b[31m\u009b`)));
    assert.ok(lines[0].addedChannels.some((c) => c.name === NAMES[1]), 'the first diff lists the C1 name, escaped in JSON');
  });

  test('signal: another user\'s process is refused without --yes (no terminal to confirm on); messages escaped', () => {
    const r = cli(['signal', String(attacker.pid), 'SIGKILL']);
    assert.equal(r.code, 1);
    assertClean('signal refusal', r.stderr);
    // quoted: the escaped name holds a bracket (commText)
    assert.match(r.stderr, /^ipc-inspector signal: ECANCELED: SIGKILL to \d+ not sent: SIGKILL cannot be caught: process "\\x1b\]0;t\\x07\\x9b1m"\[\d+\] ends at once/);
    assert.match(r.stderr, /belongs to another user \(nobody, uid 65534\)/);
    assert.match(r.stderr, /pass --yes/);
    process.kill(attacker.pid, 0); // still alive
    // a flag given a value is a usage error, never a yes (the old parser took `--yes=no` as --yes and sent)
    for (const bad of ['--yes=no', '--force=false', '--yes=', '--json=0']) {
      const r2 = cli(['signal', String(attacker.pid), 'SIGKILL', bad]);
      assert.equal(r2.code, 2, `${bad}: ${r2.stderr}`);
      assert.match(r2.stderr, /takes no value|needs a non-empty value/, bad);
      process.kill(attacker.pid, 0); // still alive
    }
    for (const [args, why] of [[['--jsn'], /unknown option --jsn/], [['--bogus', 'x'], /unknown option --bogus/], [['--value', '5', '--value', '6'], /given twice/]] as const) {
      const r3 = cli(['signal', String(attacker.pid), 'SIGCONT', ...args]);
      assert.equal(r3.code, 2, r3.stderr);
      assert.match(r3.stderr, why);
    }
    const ok = cli(['signal', String(attacker.pid), 'SIGCONT', '--yes', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assertClean('signal --json', ok.stdout + ok.stderr);
    assert.equal(JSON.parse(ok.stdout).signalName, 'SIGCONT');
    process.kill(attacker.pid, 0);
  });

  test('names that are not UTF-8: each object reads as its bytes, not as the U+FFFD text they would share with a valid name', () => {
    // made by nobody: `q\xff`, `q\xfe` and the valid name `q\ufffd` (EF BF BD), all decoded `q\ufffd`
    const base = `${tag}-u8-`;
    const made = runAsNobody('/bin/sh', ['-c', `for b in '\\377' '\\376' '\\357\\277\\275'; do printf x > "/dev/shm/${base}$(printf "q$b")"; done`]);
    assert.equal(made.status, 0, made.stderr);
    const files = fs.readdirSync('/dev/shm', { encoding: 'buffer' }).filter((f) => f.toString('latin1').startsWith(base));
    try {
      assert.equal(files.length, 3);
      const r = cli(['snapshot', '--kind', 'posix-shm']);
      assert.equal(r.code, 0, r.stderr);
      assertClean('stdout', r.stdout);
      const rows = r.stdout.split('\n').filter((l) => l.includes(base));
      assert.equal(rows.length, 3, rows.join('\n'));
      const shown = rows.map((l) => l.split(/\s{2,}/)[1]).sort();
      assert.deepEqual(shown, [`${base}q\\xfe`, `${base}q\\xff`, `${base}q\ufffd`]);
    } finally {
      for (const f of files) fs.rmSync(Buffer.concat([Buffer.from('/dev/shm/'), f]), { force: true });
    }
  });

  test('doctor prints the hostile leftovers (objects nobody holds) escaped', () => {
    const r = cli(['doctor', '--samples', '2', '--interval', '300', '--all']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assertClean('doctor', r.stdout + r.stderr);
    for (const n of NAMES) assert.ok(r.stdout.includes(shownName(n)), `${JSON.stringify(shownName(n))} not in the doctor's report`);
    const j = cli(['doctor', '--samples', '2', '--interval', '300', '--all', '--json']);
    assertClean('doctor --json', j.stdout);
    const titles = (JSON.parse(j.stdout) as { problems: Array<{ title: string }> }).problems.map((p) => p.title).join('\n');
    assert.ok(titles.includes(`${tag}-zw-ngin\\u200bx`), 'problem titles carry the names escaped (core/diagnose)');
  });

  test('port lists a hostile listener (its name, command line and user\'s text) escaped', async () => {
    const name = 'l\u200b\u202e\x1b[2J[x](command:a)';
    const { server, port } = await nobodyListener('$0 = $ARGV[0];', [name]);
    try {
      const r = cli(['port', String(port)]);
      assert.equal(r.code, 0, r.stderr);
      assertClean('port', r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`cmd: l\\\\u200b\\\\u202e\\\\x1b\\[2J\\[x\\]\\(command:a\\)`), r.stdout);
      assert.match(r.stdout, /user nobody \(uid 65534\)/);
      const j = cli(['port', String(port), '--json']);
      assertClean('port --json', j.stdout);
      assert.equal((JSON.parse(j.stdout) as { listeners: Array<{ processes: Array<{ cmdline: string[] }> }> }).listeners[0].processes[0].cmdline[0], name);
    } finally {
      server.kill('SIGKILL');
    }
  });

  test("port caps a listener's command line: a user's 700 KB argv does not flood root's terminal (--json keeps the scan's first 128 KiB, and says it was cut)", async () => {
    const args = Array.from({ length: 40_000 }, (_, i) => `arg${String(i).padStart(5, '0')}-\x1b[2J`);
    const { server, port } = await nobodyListener('', args);
    try {
      const r = cli(['port', String(port)]);
      assert.equal(r.code, 0, r.stderr);
      assertClean('port', r.stdout);
      const cmd = r.stdout.split('\n').find((l) => l.trimStart().startsWith('cmd: '))!;
      // 1,000 code points as shown, each at most a few characters once escaped (ESC → \\x1b)
      assert.ok(cmd.length < 2000, `cmd line of ${cmd.length} characters`);
      assert.match(cmd, /^ +cmd: perl -MIO::Socket::INET -e .*… \(\d+ more characters\)$/);
      assert.ok(r.stdout.length < 4000, `port printed ${r.stdout.length} characters`);
      const j = cli(['port', String(port), '--json']);
      assert.equal(j.code, 0, j.stderr);
      const proc = (JSON.parse(j.stdout) as { listeners: Array<{ processes: Array<{ cmdline: string[]; cmdlineCut?: true }> }> }).listeners[0].processes[0];
      const cmdline = proc.cmdline;
      assert.equal(proc.cmdlineCut, true);
      // the first bytes as they are: whole arguments, then the one the bound cut
      const n = Buffer.byteLength(cmdline.join('\0'));
      assert.ok(n >= CMDLINE_MAX - 1 && n <= CMDLINE_MAX, `${n} bytes kept`);
      const first = cmdline.indexOf(args[0]);
      assert.ok(first > 0, 'the arguments follow the program');
      const kept = cmdline.slice(first);
      assert.deepEqual(kept.slice(0, -1), args.slice(0, kept.length - 1));
      assert.ok(args[kept.length - 1].startsWith(kept[kept.length - 1]));
    } finally {
      server.kill('SIGKILL');
    }
  });

  test('top and signals print a hostile process name (zero-width, bidi, ESC) escaped', async () => {
    // as nobody: a writer named to attack a terminal, piping into cat; the eBPF tracer counts it (root here)
    const comm = 'w\u200bx\u202e\x1b[1m';
    const pair: ChildProcess = spawn('/bin/sh', ['-c', `exec perl -e '$0 = $ARGV[0]; $| = 1; while (1) { print "x" x 512; select(undef, undef, undef, 0.02) }' "$0" | cat > /dev/null`, comm], {
      ...NOBODY, cwd: '/', stdio: 'ignore', env: { PATH: '/usr/bin:/bin' },
    });
    try {
      const writer = await waitForComm(pair.pid!, comm);
      const top = cli(['top', '--count', '2', '--interval', '700', '--pid', String(writer)]);
      assert.equal(top.code, 0, top.stderr);
      assertClean('top', top.stdout + top.stderr);
      // quoted: the name holds a bracket (commText), so it cannot pose as part of the label
      assert.match(top.stdout, new RegExp(`"w\\\\u200bx\\\\u202e\\\\x1b\\[1m"\\[${writer}\\]`), top.stdout);
      const logged = new Promise<string>((resolve) => {
        const sig = spawn(process.execPath, [BIN, 'signals', '--duration', '4000', '--pid', String(writer)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        sig.stdout.on('data', (b) => (out += b));
        sig.stderr.on('data', (b) => {
          out += b;
          if (String(b).includes('logging signals')) process.kill(writer, 'SIGCONT');
        });
        sig.on('exit', () => resolve(out));
      });
      const out = await logged;
      assertClean('signals', out);
      assert.match(out, new RegExp(`→ "w\\\\u200bx\\\\u202e\\\\x1b\\[1m"\\[${writer}\\]\\s+SIGCONT`), out);
    } finally {
      if (pair.exitCode === null) {
        const gone = new Promise((r) => pair.once('exit', r));
        try {
          process.kill(-pair.pid!, 'SIGKILL');
        } catch {
          /* not a group leader: kill the shell's children by pid below */
        }
        for (const pid of childPids(pair.pid!)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone with its group a moment ago (ESRCH) */
          }
        }
        pair.kill('SIGKILL');
        await gone;
      }
    }
  });
});

/** The pid of `comm` among `shell`'s children (perl renames itself after the shell starts it). */
async function waitForComm(shell: number, comm: string): Promise<number> {
  const want = Buffer.from(comm).subarray(0, 15).toString('utf8');
  for (let i = 0; i < 100; i++) {
    for (const pid of [shell, ...childPids(shell)]) {
      try {
        if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '') === want) return pid;
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no process named ${JSON.stringify(comm)} under ${shell}`);
}

function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
