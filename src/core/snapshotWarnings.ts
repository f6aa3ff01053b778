// The snapshot warnings that later readers act on, made and recognised in one place: processes
// whose fds could not be read or were not all listed, and processes whose maps were not read
// whole. Each means an object may have holders the snapshot did not see, which the diagnosis
// (leftovers) and a removal's question (actions/policy.ts) must not deny.
import { plural } from './text';

/** How the warning begins when some processes' fds could not be read (permission denied). */
const PROCESSES_HIDDEN = 'processes hidden:';

/** The warning for the processes whose fds could not be read: how many, and the first few (`comm[pid]`), so a reader can tell a sandbox's init from a user's server. */
export function processesHiddenWarning(n: number, first: readonly string[] = []): string {
  return `${PROCESSES_HIDDEN} ${n} (permission denied)${first.length ? `: ${first.slice(0, 5).join(', ')}${n > 5 ? `, … ${n - 5} more` : ''}` : ''}`;
}

/** Why root may not read a process's fds: what a warning names where "run as root" would be no help. */
export const REFUSED_TO_ROOT = 'refused even to root: a process of a user namespace above ours, or a security module (AppArmor, SELinux)';

/** What to do about fds that could not be read: `notRoot`'s advice, or, to root, why even root was refused. */
export function unreadableHint(root: boolean, notRoot = 'run as root'): string {
  return root ? REFUSED_TO_ROOT : notRoot;
}

/** The warning for a process asked for (--pid, a scope) whose fds could not be read: it then holds no channel the snapshot lists, which must not read as "holds none". `root`: the reader is root already. */
export function pidUnreadableWarning(pid: number, code: string, root = false): string {
  return `process ${pid}: its fds could not be read (${code}, permission denied): the channels it holds are not listed — ${unreadableHint(root, 'run as root or as its user')}`;
}

/** How a snapshot's warnings begin when some processes' maps were not read whole (mapsCutWarning). */
export const MAPS_CUT = 'maps not read whole:';

/** The warning for the processes whose maps were not read whole, by error code (EFBIG: cut at the walk's bounds; ETIMEDOUT: at its deadline). */
export function mapsCutWarning(byCode: ReadonlyMap<string, number>): string {
  const n = [...byCode.values()].reduce((a, b) => a + b, 0);
  const codes = [...byCode].map(([code, k]) => (code === 'EFBIG' ? `${k} cut at the scan's bounds (more mappings than a process may show, or the scan's budget spent)` : `${k} not read in time (${code})`));
  return `${MAPS_CUT} ${plural(n, 'process', 'processes')} — ${codes.join(', ')}: the shared memory they map may be missing its holders`;
}

/** How a snapshot's warnings begin when some processes' command lines or timers lists were cut (textsCutWarning). */
export const CMDLINES_CUT = 'command lines cut:';
export const TIMERS_CUT = 'timers lists cut:';

/** The warning for the processes whose command lines or timers lists were cut at the walk's bounds (`whose`: per user, most first). */
export function textsCutWarning(file: 'cmdline' | 'timers', n: number, whose: string): string {
  return file === 'cmdline'
    ? `${CMDLINES_CUT} ${plural(n, 'process', 'processes')} — longer than 128 KiB, or past the scan's budget for command lines (4 MiB per user, 16 MiB in all), so only their first bytes are shown — ${whose}`
    : `${TIMERS_CUT} ${plural(n, 'process', 'processes')} — longer than 64 KiB (~900 timers), or past the scan's budget for timers (1 MiB per user, 4 MiB in all), so only their first timers are shown — ${whose}`;
}

/** How a snapshot's warnings begin when some processes' fds were not all listed (fdsCutWarning). */
export const FDS_CUT = 'fds not listed whole:';

/** The warning for fd tables listed in part: `why` (the scan's deadline, its budget) and whose. */
export function fdsCutWarning(why: string): string {
  return `${FDS_CUT} ${why}: the channels they hold may be missing those holders`;
}

/** Some processes' fds could not be read (permission): "nobody holds it" cannot be said. */
export function fdsUnreadableIn(warnings: readonly string[]): boolean {
  return warnings.some((w) => w.startsWith(PROCESSES_HIDDEN));
}

/** Some processes' fds were not all listed (the scan's deadline or budget): "nobody holds it" cannot be said. */
export function fdsCutIn(warnings: readonly string[]): boolean {
  return warnings.some((w) => w.startsWith(FDS_CUT));
}

/** Some processes' fds could not be read, or not all: "nobody holds it" cannot be said. */
export function fdsHiddenIn(warnings: readonly string[]): boolean {
  return fdsUnreadableIn(warnings) || fdsCutIn(warnings);
}

/** Some processes' maps were not read whole: "nobody maps it" cannot be said. */
export function mapsCutIn(warnings: readonly string[]): boolean {
  return warnings.some((w) => w.startsWith(MAPS_CUT));
}
