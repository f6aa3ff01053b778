// /proc/PID/cgroup → which container runtime put the process where, from the cgroup path alone.
// Pure and total: hostile or malformed text yields null, never throws. The runtime's state on
// disk (names, pod annotations, machined records) is read afterwards by ../containers.ts.
//
// Trust: only root can create cgroups outside a delegated subtree, so the OUTERMOST container
// segment of a path wins — a process inside a container that may create cgroups under its own
// (docker-in-docker, a privileged container) cannot pose as another container by nesting a
// fake `docker/<id>` below it. Inside a user's delegated tree (`user@UID.service`) names are the
// user's own: only rootless podman/docker scopes are recognised there, marked with that uid.
import type { ContainerRuntime } from '../model';

export interface CgroupLine {
  hierarchy: number;
  /** Comma-separated controllers (`memory`, `name=systemd`), '' for the v2 line. */
  controllers: string;
  path: string;
}

/** `ID:controllers:path` lines; malformed lines are skipped. The path keeps any `:` it contains. */
export function parseCgroup(text: string): CgroupLine[] {
  const out: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    if (a <= 0) continue;
    const b = line.indexOf(':', a + 1);
    if (b < 0) continue;
    const id = line.slice(0, a);
    if (!/^\d{1,6}$/.test(id)) continue;
    const path = line.slice(b + 1);
    if (!path.startsWith('/')) continue;
    out.push({ hierarchy: Number(id), controllers: line.slice(a + 1, b), path });
  }
  return out;
}

/** Candidate paths in the order they are trusted to name the process's cgroup: v2, name=systemd, then each v1 controller. */
export function cgroupPaths(lines: readonly CgroupLine[]): string[] {
  const out: string[] = [];
  const add = (p: string) => {
    if (p !== '/' && !out.includes(p)) out.push(p);
  };
  for (const l of lines) if (l.hierarchy === 0 && l.controllers === '') add(l.path);
  for (const l of lines) if (l.controllers.split(',').includes('name=systemd')) add(l.path);
  for (const l of lines) add(l.path);
  return out;
}

/** What the path alone says; `verify` names the state on disk that must confirm it (../containers.ts). */
export interface CgroupContainer {
  runtime: ContainerRuntime;
  id: string;
  /** Name the path itself carries (nspawn machine, LXC container), else null. */
  name: string | null;
  podUid: string | null;
  rootlessUid: number | null;
  /** The path it was recognised in. */
  cgroup: string;
  /**
   * `containerd-task`: a bare `/NAMESPACE/ID` path is containerd's only if its task directory
   * exists; `machined`: an nspawn guess until /run/systemd/machines/NAME says which service
   * registered it. Absent: the path is conclusive.
   */
  verify?: 'containerd-task' | 'machined';
  /** containerd namespace for `containerd-task` (e.g. `default`, `k8s.io`, `moby`). */
  namespace?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** docker-ID.scope, libpod-ID.scope, cri-containerd-ID.scope, crio-ID.scope, nerdctl-ID.scope (cgroupfs drivers: without .scope). */
const SCOPE = /^(docker|libpod|cri-containerd|crio|nerdctl)-([0-9a-f]{64})(?:\.scope)?$/;
const POD_SEGMENT = /^pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})$/;
const POD_SLICE = /^kubepods(?:-[a-z]+)*-pod([0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12})\.slice$/;
/** Machine and LXC names: hostname-like, never a path. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}$/;
/** containerd namespaces: ctr's label rules, and never a systemd unit or slice name. */
const CONTAINERD_NS = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$/;

const SCOPE_RUNTIME: Record<string, ContainerRuntime> = {
  docker: 'docker',
  libpod: 'podman',
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  nerdctl: 'containerd',
};

/** systemd unit-name unescaping (`\x2d` → `-`); null for an invalid escape. */
export function unescapeUnitName(s: string): string | null {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const m = /^x([0-9a-fA-F]{2})/.exec(s.slice(i + 1, i + 4));
    if (!m) return null;
    out += String.fromCharCode(parseInt(m[1], 16));
    i += 3;
  }
  return out;
}

/** The outermost container segment of one cgroup path, or null. */
export function containerFromPath(path: string): CgroupContainer | null {
  const seg = path.split('/').filter((s) => s.length > 0);
  let delegatedUid: number | null = null;
  let podUid: string | null = null;
  let inKubepods = false;
  const make = (runtime: ContainerRuntime, id: string, name: string | null, extra: Partial<CgroupContainer> = {}): CgroupContainer => ({
    runtime,
    id,
    name,
    podUid,
    rootlessUid: delegatedUid,
    cgroup: path,
    ...extra,
  });
  /** containerd's cgroupfs guess (`/NAMESPACE/ID`), kept only when nothing below names the container: podman's pods on cgroupfs are `/libpod_parent/POD-ID/libpod-ID`. */
  let containerdGuess: CgroupContainer | null = null;
  for (let i = 0; i < seg.length; i++) {
    const s = seg[i];
    if (s === '..' || s === '.') return null; // outside our cgroup namespace: nothing to say
    const user = /^user@(\d{1,10})\.service$/.exec(s);
    if (user && delegatedUid === null) {
      delegatedUid = Number(user[1]);
      continue;
    }
    const scope = SCOPE.exec(s);
    if (delegatedUid !== null) {
      // the user's own tree: only rootless podman and docker scopes mean anything
      if (scope && (scope[1] === 'libpod' || scope[1] === 'docker') && s.endsWith('.scope')) return make(SCOPE_RUNTIME[scope[1]], scope[2], null);
      continue;
    }
    if (s === 'kubepods' || s === 'kubepods.slice' || /^kubepods-[a-z]+\.slice$/.test(s)) {
      inKubepods = true;
      continue;
    }
    if (inKubepods && podUid === null) {
      const pod = POD_SEGMENT.exec(s) ?? POD_SLICE.exec(s);
      if (pod) {
        podUid = pod[1].replace(/_/g, '-');
        continue;
      }
    }
    if (scope) return make(SCOPE_RUNTIME[scope[1]], scope[2], null);
    if (s.startsWith('libpod-conmon-') || s.startsWith('crio-conmon-')) return null; // the monitor, outside the container
    if (inKubepods && podUid !== null && HEX64.test(s)) return make('kubernetes', s, null); // cgroupfs driver: engine not in the path
    if (s === 'docker' && i + 1 < seg.length && HEX64.test(seg[i + 1])) return make('docker', seg[i + 1], null);
    if (s === 'machine.slice' && i + 1 < seg.length) {
      const m = /^machine-(.+)\.scope$/.exec(seg[i + 1]);
      const name = m ? unescapeUnitName(m[1]) : null;
      if (name && SAFE_NAME.test(name)) return make('nspawn', name, name, { verify: 'machined' });
      continue;
    }
    const lxc = /^lxc\.payload\.(.+)$/.exec(s);
    if (lxc) return SAFE_NAME.test(lxc[1]) ? make('lxc', lxc[1], lxc[1]) : null;
    if (s.startsWith('lxc.monitor.')) return null; // LXC's monitor process, outside the container
    if (i === 0 && s === 'lxc' && seg.length > 1 && SAFE_NAME.test(seg[1])) return make('lxc', seg[1], seg[1]); // LXC < 4
    // containerd's cgroupfs layout `/NAMESPACE/ID`: only at the top level, confirmed by its task directory
    if (i === 0 && seg.length >= 2 && HEX64.test(seg[1]) && CONTAINERD_NS.test(s) && !s.endsWith('.slice') && !s.endsWith('.service')) {
      containerdGuess = make('containerd', seg[1], null, { verify: 'containerd-task', namespace: s });
      i++; // the id is not a segment of its own
    }
  }
  return containerdGuess;
}

/** Every candidate (one per cgroupPaths entry that names a container), most trusted first: the caller keeps the first its state check confirms. */
export function containerCandidates(text: string): CgroupContainer[] {
  const out: CgroupContainer[] = [];
  for (const p of cgroupPaths(parseCgroup(text))) {
    const c = containerFromPath(p);
    if (c && !out.some((o) => o.runtime === c.runtime && o.id === c.id)) out.push(c);
  }
  return out;
}
