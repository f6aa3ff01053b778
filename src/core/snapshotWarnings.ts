// The snapshot warnings that later readers act on, made and recognised in one place: processes
// whose fds could not be read, and processes whose maps were not read whole. Either means an
// object may have holders the snapshot did not see, which the diagnosis (leftovers) and a
// removal's question (actions/policy.ts) must not deny.

/** How the warning begins when some processes' fds could not be read (permission denied). */
const PROCESSES_HIDDEN = 'processes hidden:';

/** The warning for `n` processes whose fds could not be read. */
export function processesHiddenWarning(n: number): string {
  return `${PROCESSES_HIDDEN} ${n} (permission denied)`;
}

/** How a snapshot's warnings begin when some processes' maps were not read whole (mapsCutWarning). */
export const MAPS_CUT = 'maps not read whole:';

/** The warning for the processes whose maps were not read whole, by error code (EFBIG: cut at the walk's bounds; ETIMEDOUT: at its deadline). */
export function mapsCutWarning(byCode: ReadonlyMap<string, number>): string {
  const n = [...byCode.values()].reduce((a, b) => a + b, 0);
  const codes = [...byCode].map(([code, k]) => (code === 'EFBIG' ? `${k} cut at the scan's bounds (more mappings than a process may show, or the scan's budget spent)` : `${k} not read in time (${code})`));
  return `${MAPS_CUT} ${n} process(es) — ${codes.join(', ')}: the shared memory they map may be missing its holders`;
}

/** Some processes' fds could not be read: "nobody holds it" cannot be said. */
export function fdsHiddenIn(warnings: readonly string[]): boolean {
  return warnings.some((w) => w.startsWith(PROCESSES_HIDDEN));
}

/** Some processes' maps were not read whole: "nobody maps it" cannot be said. */
export function mapsCutIn(warnings: readonly string[]): boolean {
  return warnings.some((w) => w.startsWith(MAPS_CUT));
}
