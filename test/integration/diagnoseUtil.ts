// Helpers for the diagnosis integration tests: a Diagnoser fed with real snapshots at a steady
// pace, waiting for a problem to appear or go away (with the problems seen so far in the failure
// message), and small helper processes in Python and Perl that print READY once set up and exit
// when their stdin closes. Only problems about the tests' own processes and channels are looked at.
// Every problem a test waits for is checked to lead with a trouble of its rule (troubles.ts) and
// to name what it is about: the Problems view's row and the CLI's headline are those two.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptions } from 'node:child_process';
import { Diagnoser, troublesOf, type Diagnosis, type Problem } from '../../src/core/diagnose';
import type { FilesInFlight } from '../../src/core/filesInFlight';
import type { Snapshot } from '../../src/core/model';
import { takeSnapshot, type SnapshotOptions } from '../../src/core/snapshot';
import * as fs from 'node:fs';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Sampler {
  readonly diagnoser = new Diagnoser();
  last: Diagnosis | null = null;
  snapshot: Snapshot | null = null;
  /** What the last sample's walk read of files in flight (undefined: no diagnosis had asked yet). */
  filesInFlight: FilesInFlight | undefined;
  constructor(private readonly opts: SnapshotOptions = {}) {}

  /** One snapshot and its diagnosis, as the service's worker takes them (files in flight read by the walk once the diagnosis asks). */
  async sample(): Promise<Diagnosis> {
    const opts = this.diagnoser.snapshotOptions(this.opts);
    this.snapshot = await takeSnapshot(opts);
    this.filesInFlight = opts.filesInFlight;
    this.last = this.diagnoser.diagnose(this.snapshot, opts.filesInFlight);
    return this.last;
  }

  /** Samples until `pick` returns problems (at least `min` samples), up to `max` samples. */
  async until(pick: (d: Diagnosis) => Problem[], what: string, o: { min?: number; max?: number; gapMs?: number } = {}): Promise<Problem[]> {
    const max = o.max ?? 40;
    for (let i = 0; i < max; i++) {
      if (i > 0) await sleep(o.gapMs ?? 150);
      const d = await this.sample();
      const found = pick(d);
      if (i + 1 >= (o.min ?? 1) && found.length > 0) {
        for (const p of found) {
          assert.ok(troublesOf(p.rule).includes(p.trouble), `${p.id}: "${p.trouble}" is not one of ${p.rule}'s troubles`);
          assert.ok(p.subject.length > 0, `${p.id}: no subject`);
        }
        return found;
      }
    }
    throw new Error(`${what}: not raised after ${max} snapshots; last problems:\n${dump(this.last)}`);
  }

  /** Samples until `pick` returns nothing (at least `min` samples). */
  async gone(pick: (d: Diagnosis) => Problem[], what: string, o: { min?: number; max?: number; gapMs?: number } = {}): Promise<void> {
    const max = o.max ?? 40;
    let found: Problem[] = [];
    for (let i = 0; i < max; i++) {
      if (i > 0) await sleep(o.gapMs ?? 150);
      found = pick(await this.sample());
      if (i + 1 >= (o.min ?? 1) && found.length === 0) return;
    }
    throw new Error(`${what}: still raised after ${max} snapshots:\n${found.map(line).join('\n')}`);
  }

  /** `n` samples in which `pick` must find nothing. */
  async never(pick: (d: Diagnosis) => Problem[], what: string, n = 4, gapMs = 150): Promise<void> {
    for (let i = 0; i < n; i++) {
      if (i > 0) await sleep(gapMs);
      const found = pick(await this.sample());
      if (found.length) throw new Error(`${what}: raised on a healthy system (sample ${i + 1}):\n${found.map(line).join('\n')}`);
    }
  }
}

export function line(p: Problem): string {
  return `${p.severity} ${p.id}: ${p.trouble} — ${p.title}`;
}

export function dump(d: Diagnosis | null): string {
  return d ? d.problems.map(line).join('\n') || '(none)' : '(no diagnosis)';
}

/** Problems that involve any of these pids or channels. */
export function touching(d: Diagnosis, o: { pids?: readonly number[]; channels?: readonly string[]; rule?: string }): Problem[] {
  return d.problems.filter(
    (p) => (!o.rule || p.rule === o.rule) && ((o.pids ?? []).some((x) => p.pids.includes(x)) || (o.channels ?? []).some((c) => p.channels.includes(c))),
  );
}

export interface Helper {
  proc: ChildProcessWithoutNullStreams;
  /** Words after READY on its first line. */
  ready: string[];
  pid: number;
  /** Writes `input` to its stdin and waits until its output after that contains `text`, however the pipe splits it. */
  ask(input: string, text: string): Promise<void>;
  /** Closes stdin (it exits) and waits for the exit. */
  stop(): Promise<void>;
}

const helpers: Helper[] = [];

/** Starts `cmd args` and waits for its `READY …` line. */
export async function helper(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Helper> {
  const proc = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.stdin.on('error', () => {});
  const exited = new Promise<void>((r) => proc.on('close', () => r()));
  const ready = await new Promise<string[]>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^READY(.*)\n/m.exec(out);
      if (m) resolve(m[1].trim().split(/\s+/).filter(Boolean));
    });
    proc.on('error', reject);
    void exited.then(() => reject(new Error(`${cmd} exited before READY: ${err.trim()}`)));
  });
  let stopping: Promise<void> | undefined;
  const h: Helper = {
    proc,
    ready,
    pid: proc.pid!,
    ask(input, text) {
      const from = out.length;
      return new Promise<void>((resolve, reject) => {
        // registered after the listener that appends to `out`: it sees each chunk already added
        const check = () => {
          if (out.indexOf(text, from) < 0) return;
          proc.stdout.off('data', check);
          resolve();
        };
        proc.stdout.on('data', check);
        void exited.then(() => reject(new Error(`${cmd} exited before printing ${JSON.stringify(text)}: ${err.trim()}`)));
        proc.stdin.write(input);
      });
    },
    stop() {
      stopping ??= (async () => {
        proc.stdin.end();
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      })();
      return stopping;
    },
  };
  helpers.push(h);
  return h;
}

/**
 * Helpers first close every fd they inherited beyond stdio: a test runner that leaks a pipe into
 * its children (some do) would otherwise make each helper hold a pipe with nobody at the other end.
 */
export const python = (code: string, args: string[] = [], opts: SpawnOptions = {}) => helper('python3', ['-c', `import os\nos.closerange(3, 65536)\n${code}`, ...args], opts);
export const perl = (code: string, args: string[] = [], opts: SpawnOptions = {}) =>
  helper('perl', ['-e', `use POSIX (); POSIX::close($_) for 3..1023; ${code}`, ...args], opts);

/** Stops every helper still running (after hooks). */
export async function stopHelpers(): Promise<void> {
  await Promise.allSettled(helpers.splice(0).map((h) => h.stop()));
}

/** Until the process has exec'd sleep with SIGTERM ignored (SigIgn bit 14), within a minute. */
export async function waitIgnoresTerm(pid: number): Promise<void> {
  const until = Date.now() + 60000;
  for (;;) {
    let st = '';
    try {
      st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      // not there yet or gone: retried below until the deadline
    }
    const ign = /^SigIgn:\s*([0-9a-f]+)$/m.exec(st);
    if (/^Name:\s*sleep$/m.test(st) && ign && (BigInt('0x' + ign[1]) >> 14n) & 1n) return;
    if (Date.now() > until) throw new Error(`process ${pid} never ran sleep with SIGTERM ignored: ${st.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
