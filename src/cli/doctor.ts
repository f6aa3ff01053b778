// `ipc-inspector doctor [--json] [--pid P…] [--container C…] [--samples N] [--interval MS] [--all] [--no-native]`:
// takes a few snapshots (rules that look for what lasts need history), diagnoses each, and prints
// the problems of the last one — each headed by what is wrong, then the object, the whole
// sentence on its `title` line — with what/why/next/fix, evidence, chain and safe actions — or the
// Diagnosis as JSON. Exit 1 when any problem is at warning level or above (after --pid), so
// scripts and CI can use it; 0 otherwise; 2 for usage errors. All text that came from processes
// is printed through escapeControl (JSON through safeJson): one problem field never spans lines
// it did not choose, and no terminal control sequence gets through.
import * as fs from 'node:fs';
import { Diagnoser, SEVERITIES, countBySeverity, headline, severityRank, type Diagnosis, type DiagnoserOptions, type Problem } from '../core/diagnose';
import { duration } from '../core/diagnose/rule';
import { ONE_SHOT_EVIDENCE } from '../core/diagnose/evidence';
import { escapeControl, safeJson, truncate } from '../core/escape';
import { SocketLookups, takeSnapshot, type SnapshotOptions } from '../core/snapshot';
import type { Snapshot } from '../core/model';
import { isZombie } from '../core/processState';
import { ZOMBIE_MIN_MS } from '../core/diagnose/signalTrouble';
import { parseInteger, parseOptions, parsePids, usageLines, type OptionSpec } from './args';
import { CONTAINER_OPTION_HELP, containerMembers, noContainerWarning } from './containerFilter';
import { missingPids, noAskedPidExists } from './common';
import type { Output } from './output';
import { fdsUnreadableIn, pidUnreadableWarning, unreadableHint } from '../core/snapshotWarnings';
import { plural } from '../core/text';

export const DOCTOR_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'flag', short: 'j', help: 'print the diagnosis as JSON' },
  { name: 'pid', type: 'list', short: 'p', metavar: 'PID', help: 'only problems involving these processes; repeat or comma-separate' },
  { name: 'container', type: 'list', short: 'c', metavar: 'NAME|ID', help: `only problems involving processes of these containers (${CONTAINER_OPTION_HELP})` },
  { name: 'samples', type: 'value', short: 'n', metavar: 'N', help: 'snapshots to take (default 3; rules about what lasts need 2–3, zombies 5 s of them)' },
  { name: 'interval', type: 'value', short: 'i', metavar: 'MS', help: 'ms between snapshots (default 500)' },
  { name: 'all', type: 'flag', short: 'a', help: 'also print info-level problems (always in --json)' },
  { name: 'no-native', type: 'flag', help: 'do not use the native addon (pure /proc reads)' },
  { name: 'help', type: 'flag', short: 'h', help: 'show this help' },
];

export const DOCTOR_USAGE = 'usage: ipc-inspector doctor [--json] [--pid PID]... [--container NAME|ID]... [--samples N] [--interval MS] [--all] [--no-native]';

export function doctorHelp(): string {
  return (
    `${DOCTOR_USAGE}\n\nFinds what is wrong with the IPC on this machine — blocked writers, pipes with nobody at the other end, ` +
    'stale or hijacked socket paths, full accept backlogs, queues not draining, leftovers, semaphores nobody can post, ' +
    'wait cycles, signal trouble, port clashes — and explains each.\n' +
    'Exit status: 1 when a problem at warning level or above is found, or when no process --pid or --container names exists (as snapshot --pid, lsof -p); 0 otherwise; 2 on bad arguments.\n\n' +
    `options:\n${usageLines(DOCTOR_OPTIONS).join('\n')}\n`
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Problems involving any of `pids` (as a process of the problem). */
export function filterByPids(d: Diagnosis, pids: readonly number[] | undefined): Diagnosis {
  if (!pids || pids.length === 0) return d;
  const want = new Set(pids);
  const problems = d.problems.filter((p) => p.pids.some((x) => want.has(x)));
  return { ...d, problems, counts: countBySeverity(problems) };
}

export function exitCode(d: Diagnosis): number {
  return d.problems.some((p) => severityRank(p.severity) <= severityRank('warning')) ? 1 : 0;
}

const e = escapeControl;

/**
 * The headline's object, in code points: it is for scanning a list (`grep WARNING`), and another
 * user's path can be 4,096 bytes; the `title` line below it says the whole of it.
 */
const HEADLINE_SUBJECT = 160;

function renderProblem(p: Problem, takenAt: string): string[] {
  const out: string[] = [];
  // what is wrong first, then the object (as the Problems view's row); the whole sentence below it
  const subject = truncate(e(p.subject), HEADLINE_SUBJECT);
  out.push(`${p.severity.toUpperCase().padEnd(7)} ${p.rule}  ${headline({ trouble: p.trouble, subject })}`, `  title ${e(p.title)}`);
  const x = p.explanation;
  out.push(`  what  ${e(x.what)}`, `  why   ${e(x.why)}`, `  next  ${e(x.next)}`, `  fix   ${e(x.fix)}`);
  if (p.chain && p.chain.length) out.push(`  chain ${p.chain.map((n) => e(n.label)).join(' → ')}`);
  if (p.evidence.length) {
    out.push('  evidence:');
    const w = Math.min(16, Math.max(...p.evidence.map((v) => v.label.length)));
    for (const v of p.evidence) out.push(`    ${e(v.label).padEnd(w)}  ${e(v.text)}  (${e(v.source)})`);
  }
  if (p.actions.length) {
    out.push('  actions:');
    for (const a of p.actions) out.push(`    ${a.kind.padEnd(6)}  ${e(a.label)}`);
  }
  const age = Date.parse(takenAt) - Date.parse(p.since);
  out.push(`  since ${e(p.since)}${age >= 1000 ? ` (${duration(age)})` : ''}   id ${e(p.id)}`);
  return out;
}

export function renderDiagnosis(d: Diagnosis, all: boolean): string {
  const shown = all ? d.problems : d.problems.filter((p) => p.severity !== 'info');
  const c = d.counts;
  const lines: string[] = [];
  lines.push(`ipc-inspector doctor: ${SEVERITIES.map((s) => `${s} ${c[s]}`).join(', ')} (${plural(d.samples, 'snapshot')})`);
  for (const p of shown) lines.push('', ...renderProblem(p, d.takenAt));
  const hidden = d.problems.length - shown.length;
  if (hidden > 0) lines.push('', `${plural(hidden, 'info-level problem')} not shown (--all shows them)`);
  if (d.problems.length === 0) lines.push('', 'no problems found');
  return lines.join('\n') + '\n';
}

/**
 * The doctor's Diagnoser: the `--pid` focus, and a one-shot run's evidence (ONE_SHOT_EVIDENCE) —
 * no refresh comes after it to go on with a socket-file scan cut short, so the scan has a budget
 * of its own, and no note promises a next refresh.
 */
export function diagnoserOptions(pids: readonly number[] | undefined): DiagnoserOptions {
  return { ...ONE_SHOT_EVIDENCE, ...(pids && pids.length ? { pids } : {}) };
}

export async function run(argv: string[], out: Output): Promise<number> {
  const p = parseOptions(argv, DOCTOR_OPTIONS);
  if (p.flags.has('help')) {
    out.text(doctorHelp());
    return 0;
  }
  const asked = parsePids(p.lists.get('pid'));
  let pids = asked;
  const containers = p.lists.get('container');
  const samples = parseInteger('samples', p.values.get('samples'), 1, 100) ?? 3;
  const interval = parseInteger('interval', p.values.get('interval'), 0, 60000) ?? 500;
  // a few samples, then exit: the walk is chosen counting the BPF program's load (core/walkBackend.ts)
  // (one memory of socket lookups over the samples, probes/hiddenNetns.ts)
  const opts: SnapshotOptions = { oneShot: true, socketLookups: new SocketLookups() };
  if (p.flags.has('no-native')) opts.useNative = false;
  // --container: its processes (every process, read once) join --pid's
  if (containers) {
    const m = containerMembers(await takeSnapshot({ ...opts, processes: 'all' }), containers);
    for (const c of m.unmatched) out.note(noContainerWarning(c));
    if (m.pids.size === 0) return 1;
    pids = [...(pids ?? []), ...m.pids];
  }
  // the filter goes into the diagnosis: applied after its per-rule cap, another process's hundred
  // problems of a rule could push out the one asked about
  const doctor = new Diagnoser(diagnoserOptions(pids));
  let d: Diagnosis | null = null;
  let last: Snapshot | null = null;
  const t0 = Date.now();
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(interval);
    // as the views' worker: once the diagnosis asks whether files are in flight, the walk reads them
    const next = doctor.snapshotOptions(opts);
    last = await takeSnapshot(next);
    d = doctor.diagnose(last, next.filesInFlight);
  }
  const filtered = filterByPids(d!, pids);
  const result = { ...filtered, notes: [...filtered.notes, ...unseen(last!, filtered, Date.now() - t0, pids)] };
  // --pid naming processes that do not exist: said, and exit 1 when none of them does (as snapshot --pid, lsof -p)
  const missing = missingPids(last!, asked);
  if (p.flags.has('json')) {
    out.data(safeJson({ version: 1, ...result }, 2) + '\n');
  } else {
    out.text(renderDiagnosis(result, p.flags.has('all')));
    for (const n of result.notes) out.note(`note: ${e(n)}\n`);
    if (samples < 3) out.note(`note: rules about what lasts (queues rising, pending signals) need 3 snapshots, zombies ${ZOMBIE_MIN_MS / 1000} s of them; use --samples 3 or more\n`);
  }
  for (const pid of missing) out.note(`warning: no process ${pid}\n`);
  if (noAskedPidExists(asked, missing)) return 1;
  return exitCode(result);
}

/**
 * What this run's sampling could not have seen, said rather than left to read as "no problem":
 * leftover POSIX queues without /dev/mqueue (only queues a process holds open are listed), and
 * zombies younger in this run than the zombie rule waits for (a zombie's age is not in /proc: a
 * run shorter than that never reports one, however old).
 */
/** EACCES / EPERM when this user may not list `pid`'s fds; null when it may, or the process is gone. */
function fdTableRefused(pid: number): string | null {
  try {
    fs.closeSync(fs.openSync(`/proc/${pid}/fd`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? code : null;
  }
}

function unseen(snap: Snapshot, d: Diagnosis, ranMs: number, pids: readonly number[] | undefined): string[] {
  const out: string[] = [];
  if (!snap.capabilities.mqueueMounted) {
    out.push('POSIX message queues nobody holds open were not looked for: /dev/mqueue is not mounted (mount -t mqueue none /dev/mqueue), so leftover queues cannot be seen');
  }
  // a process whose fds could not be read holds channels no rule saw: "no problems" must not read as "none there"
  const refused = (q: Snapshot['processes'][number]) => q.errors?.find((x) => x.field === 'fds' && (x.code === 'EACCES' || x.code === 'EPERM'))?.code ?? null;
  const root = snap.capabilities.root === true;
  if (pids?.length) {
    const byPid = new Map(snap.processes.map((q) => [q.pid, q]));
    for (const pid of pids) {
      // a process that holds no channel the snapshot could list is not in it: its fd table asked
      const q = byPid.get(pid);
      const code = q ? refused(q) : fdTableRefused(pid);
      if (code) out.push(pidUnreadableWarning(pid, code, root) + ': problems of those channels cannot be found');
    }
  } else {
    const hidden = snap.warnings.find((w) => fdsUnreadableIn([w]));
    if (hidden) out.push(`${hidden}: problems of the channels they hold cannot be found (${unreadableHint(root)})`);
  }
  if (ranMs < ZOMBIE_MIN_MS) {
    const said = new Set(d.problems.filter((q) => q.rule === 'signal-trouble').flatMap((q) => q.pids));
    const zombies = snap.processes.filter((q) => isZombie(q) && !said.has(q.pid) && (!pids?.length || pids.includes(q.pid))).length;
    if (zombies > 0) {
      out.push(`${plural(zombies, 'zombie process', 'zombie processes')} seen, not reported: a zombie is reported once it lasted ${ZOMBIE_MIN_MS / 1000} s across the samples, and this run took ${(ranMs / 1000).toFixed(1)} s (--samples 6 --interval 1000 covers it)`);
    }
  }
  return out;
}
