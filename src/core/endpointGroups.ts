// A channel's endpoints grouped by process and mode, the fds of a group as ranges. Any local user
// can make one channel enormous: a pipe whose write end is dup'd up to the fd limit (524,288 on a
// stock systemd machine) in a few forked processes is one channel of millions of endpoints. Every
// surface that lists holders (the CLI table and `watch`, the trees, the inspector) lists groups
// instead: `dupbomb[8275] fd 4–9,11–19999 (w)` says losslessly what 19,995 lines said. The
// snapshot JSON keeps its endpoints (the contract). Pure: the webview bundles it.
import type { Endpoint, EndpointRole, Mode } from './model';

/** The endpoints one process holds of a channel in one mode, one way (fds, or mappings). */
export interface EndpointGroup {
  pid: number;
  mode: Mode;
  /** The end its fds are, on kinds with two different ends (a pty's master or slave): a process holding both has a group of each. */
  role?: EndpointRole;
  /** `fd`: fds; `map`: memory mappings; `none`: neither (each such endpoint is a group of its own). */
  via: 'fd' | 'map' | 'none';
  /**
   * Never empty. fds ascending without repeats (a list from a walk of many threads may repeat
   * one); mappings in the order given. The first is the concrete endpoint actions use.
   */
  endpoints: Endpoint[];
}

const MODES: Readonly<Record<Mode, number>> = { r: 0, w: 1, rw: 2 };
const VIAS = { fd: 0, map: 1 } as const;
const ROLES: Readonly<Record<EndpointRole, number>> = { master: 1, slave: 2 };

function byFd(a: Endpoint, b: Endpoint): number {
  return a.fd! - b.fd!;
}

/**
 * `eps` grouped by (pid, mode, fd or mapping), each group where its first endpoint was (the order
 * of first appearance: a snapshot lists a process's endpoints together, so groups keep its order).
 * One pass and a sort per group that is not in order already: linear in the endpoints.
 */
export function groupEndpoints(eps: readonly Endpoint[]): EndpointGroup[] {
  const out: EndpointGroup[] = [];
  // pid < 2^22 (PID_MAX_LIMIT): (pid * 8 + mode * 2 + via) * 3 + role is an exact number
  const at = new Map<number, EndpointGroup>();
  for (const e of eps) {
    const via = e.fd !== undefined ? 'fd' : e.map !== undefined ? 'map' : 'none';
    if (via === 'none') {
      out.push({ pid: e.pid, mode: e.mode, ...(e.role ? { role: e.role } : {}), via, endpoints: [e] });
      continue;
    }
    const key = (e.pid * 8 + MODES[e.mode] * 2 + VIAS[via]) * 3 + (e.role ? ROLES[e.role] : 0);
    const g = at.get(key);
    if (g) g.endpoints.push(e);
    else {
      const made: EndpointGroup = { pid: e.pid, mode: e.mode, ...(e.role ? { role: e.role } : {}), via, endpoints: [e] };
      at.set(key, made);
      out.push(made);
    }
  }
  for (const g of out) {
    if (g.via !== 'fd' || g.endpoints.length < 2) continue;
    const list = g.endpoints;
    let sorted = true;
    for (let i = 1; i < list.length && sorted; i++) sorted = list[i - 1].fd! < list[i].fd!;
    if (sorted) continue;
    list.sort(byFd);
    let n = 1;
    for (let i = 1; i < list.length; i++) if (list[i].fd !== list[n - 1].fd) list[n++] = list[i];
    list.length = n;
  }
  return out;
}

/** Runs of consecutive fds, `[first, last]` each, ascending: `[3, 4, 5, 9]` → `[[3, 5], [9, 9]]`. Any order, repeats allowed. */
export function fdRanges(fds: readonly number[]): Array<[number, number]> {
  let list = fds;
  for (let i = 1; i < list.length; i++) {
    if (list[i - 1] >= list[i]) {
      list = [...new Set(fds)].sort((a, b) => a - b);
      break;
    }
  }
  const out: Array<[number, number]> = [];
  for (const fd of list) {
    const last = out[out.length - 1];
    if (last && fd === last[1] + 1) last[1] = fd;
    else out.push([fd, fd]);
  }
  return out;
}

/**
 * `4–9,11,12,14–19999`: a run of three or more as `first–last` (an en dash, `-` in the CLI's text
 * outside UTF-8: cli/locale.ts), shorter ones fd by fd. `max`: at most that many runs, then
 * `,… N more` (N fds); the whole list when undefined.
 */
export function rangesText(ranges: ReadonlyArray<readonly [number, number]>, max?: number, sep = ','): string {
  const parts: string[] = [];
  const shown = max === undefined ? ranges.length : Math.min(max, ranges.length);
  for (let i = 0; i < shown; i++) {
    const [a, b] = ranges[i];
    if (b - a >= 2) parts.push(`${a}\u2013${b}`);
    else for (let fd = a; fd <= b; fd++) parts.push(String(fd));
  }
  let text = parts.join(sep);
  if (shown < ranges.length) {
    let rest = 0;
    for (let i = shown; i < ranges.length; i++) rest += ranges[i][1] - ranges[i][0] + 1;
    text += `${sep}\u2026 ${rest.toLocaleString('en-US')} more`;
  }
  return text;
}

/** The fds of a group (ascending). */
export function groupFds(g: EndpointGroup): number[] {
  return g.via === 'fd' ? g.endpoints.map((e) => e.fd!) : [];
}

/** What a list of endpoints shows: single endpoints and groups, at most `max` of them, and how many endpoints that leaves out. */
export interface EndpointListing {
  items: Array<{ endpoint: Endpoint; group?: undefined } | { group: EndpointGroup; endpoint?: undefined }>;
  /** Endpoints of the items past `max`, not listed. */
  more: number;
}

/**
 * A list of holders a person reads (a tree node's children, the inspector's table): a process's
 * endpoints of one mode one by one while it has fewer than `groupFrom`, else their group as one
 * item; at most `max` items.
 */
export function endpointListing(eps: readonly Endpoint[], groupFrom: number, max: number): EndpointListing {
  const items: EndpointListing['items'] = [];
  let more = 0;
  for (const g of groupEndpoints(eps)) {
    if (g.endpoints.length >= groupFrom) {
      if (items.length < max) items.push({ group: g });
      else more += g.endpoints.length;
      continue;
    }
    for (const endpoint of g.endpoints) {
      if (items.length < max) items.push({ endpoint });
      else more++;
    }
  }
  return { items, more };
}
