// `--container NAME|ID` of the CLI (snapshot, doctor): which processes of a snapshot belong to the
// containers asked for — by the name the runtime stored, or by a prefix of the id of at least 4 hex
// digits (as `docker ps` accepts one) — and which names no container answered to.
import type { ContainerInfo, Snapshot } from '../core/model';
import { escapeControl } from '../core/escape';

export const CONTAINER_OPTION_HELP = 'name, or id prefix of 4+ hex digits; repeat or comma-separate';

/** Does `c` answer to `want`: its name, or a prefix of its id of 4+ hex digits. */
export function containerIs(c: ContainerInfo, want: string): boolean {
  return c.name === want || (/^[0-9a-f]{4,64}$/.test(want) && c.id.startsWith(want));
}

/** The pids of the snapshot's processes in any of `wanted`, and the names no container answered to. */
export function containerMembers(snap: Pick<Snapshot, 'processes'>, wanted: readonly string[]): { pids: Set<number>; unmatched: string[] } {
  const matched = new Set<string>();
  const pids = new Set<number>();
  for (const p of snap.processes) {
    const c = p.container;
    if (!c) continue;
    for (const w of wanted) {
      if (containerIs(c, w)) {
        matched.add(w);
        pids.add(p.pid);
      }
    }
  }
  return { pids, unmatched: wanted.filter((w) => !matched.has(w)) };
}

/** The warning for a name no container answered to (escaped: the user typed it, perhaps pasted it). */
export function noContainerWarning(name: string): string {
  return `warning: no container ${escapeControl(name)} (a name as the runtime lists it, or 4+ hex digits of its id)\n`;
}
