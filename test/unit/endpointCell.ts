// Reads an ENDPOINTS cell of the CLI's table back into endpoints, to check it says exactly what
// --json says (test/unit/endpointGroups.test.ts, test/integration/dupBomb.test.ts). Holders named
// without `, ` (the table quotes such names); mappings are not read.
import type { Mode } from '../../src/core/model';

export interface CellEndpoint {
  comm: string;
  pid: number;
  fd: number;
  mode: Mode;
}

/** `a[1] fd 3 (r), a[1] fd 4–6,9 (w)` → a[1] fd 3 r, 4 w, 5 w, 6 w, 9 w. Throws on an entry it cannot read. */
export function endpointsOfCell(cell: string): CellEndpoint[] {
  const out: CellEndpoint[] = [];
  for (const entry of cell.split(', ')) {
    const m = /^(.*)\[(\d+)\] fd ([0-9,\u2013-]+) \((r|w|rw)\)$/.exec(entry);
    if (!m) throw new Error(`not an fd entry: ${JSON.stringify(entry.slice(0, 200))}`);
    for (const part of m[3].split(',')) {
      const [a, b = a] = part.split(/[\u2013-]/).map(Number);
      if (!(b >= a)) throw new Error(`bad range ${part}`);
      for (let fd = a; fd <= b; fd++) out.push({ comm: m[1], pid: Number(m[2]), fd, mode: m[4] as Mode });
    }
  }
  return out;
}

/** `pid/fd/mode` of each, sorted: the same set whatever order or grouping printed them. */
export function endpointKeys(eps: ReadonlyArray<{ pid: number; fd?: number; mode: string }>): string[] {
  return eps.map((e) => `${e.pid}/${e.fd}/${e.mode}`).sort();
}
