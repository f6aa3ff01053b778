// Which container a process runs in: the cgroup path says the runtime and id
// (parsers/cgroup.ts); the runtime's state on disk says the name, the Kubernetes pod, and
// confirms guesses the path alone cannot settle. Every state file goes through untrustedFiles.ts
// (an O_PATH handle, fstat: regular, owner, size cap, then reopened read-only; never mapped) — rootless runtimes keep
// theirs under the user's home, where the user controls everything, so those must be owned by
// that user and only ever yield a name. Nothing here blocks: all reads are async.
//
//   docker      /var/lib/docker/containers/ID/config.v2.json   Name, Config.Labels (k8s)
//               rootless: ~USER/.local/share/docker/containers/ID/config.v2.json
//   podman      /var/lib/containers/storage/overlay-containers/containers.json   names
//               (vfs-, btrfs-, zfs-containers/ with those storage drivers)
//               rootless: ~USER/.local/share/containers/storage/overlay-containers/containers.json
//   containerd  /run/containerd/io.containerd.runtime.v2.task/NS/ID/config.json   OCI annotations
//   CRI-O       /run/containers/storage/overlay-containers/ID/userdata/config.json   OCI annotations
//   nspawn      /run/systemd/machines/NAME   SERVICE=, CLASS= (machined's record)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerInfo, ContainerRuntime } from './model';
import { containerCandidates, type CgroupContainer } from './parsers/cgroup';
import { parseJson, readParsed, type SafeReadOptions } from './untrustedFiles';
import { readMountTable, SafeLstat } from './diagnose/paths';
import { DeadlineError, SMALL_READ_DEADLINE_MS, withDeadline } from './deadline';

export interface ContainerStateOptions {
  /** Root under which the runtimes' state lives (`var/lib/docker`, `run/containerd`, …). Default `/`; tests point it at captured trees. */
  stateRoot?: string;
  /** Home directory of a uid (rootless runtimes); default: from `<etcRoot>/passwd`. */
  homeOf?: (uid: number) => string | null;
  etcRoot?: string;
  /** Whose mountinfo says which file systems a rootless user's home is on (`<procRoot>/self/mountinfo`). Default `/proc`. */
  procRoot?: string;
}

const MiB = 1024 * 1024;
const LIMITS = { dockerConfig: 8 * MiB, podmanList: 32 * MiB, ociConfig: 8 * MiB, machine: 64 * 1024 };

/** What a state file says about one container. */
interface StateFacts {
  name: string | null;
  podName: string | null;
  podNamespace: string | null;
  /** For machined records: SERVICE= and CLASS=. */
  service?: string | null;
  machineClass?: string | null;
}

// parse caches (per file identity, shared across snapshots)
const dockerCache = new Map<string, { key: string; value: StateFacts | null }>();
const podmanCache = new Map<string, { key: string; value: Map<string, string> }>();
const ociCache = new Map<string, { key: string; value: StateFacts | null }>();
const machineCache = new Map<string, { key: string; value: StateFacts }>();
/** Uids whose state file read missed its deadline: never read again in this process (each miss keeps a pool thread). */
const stuckRootless = new Set<number>();

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** docker's config.v2.json: `Name` ("/web"), k8s labels when kubelet (dockershim) made it. */
export function parseDockerConfig(text: string): StateFacts | null {
  const j = obj(parseJson(text));
  if (!j) return null;
  const raw = str(j.Name);
  const labels = obj(obj(j.Config)?.Labels) ?? {};
  return {
    name: raw ? raw.replace(/^\//, '') || null : null,
    podName: str(labels['io.kubernetes.pod.name']),
    podNamespace: str(labels['io.kubernetes.pod.namespace']),
  };
}

/** containers/storage's drivers, each with a `DRIVER-containers/containers.json` of its own (most used first). */
const STORAGE_DRIVERS = ['overlay', 'vfs', 'btrfs', 'zfs'] as const;

/** containers/storage's containers.json: `[{id, names: [...]}, …]` → id → first name. */
export function parsePodmanContainers(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const j = parseJson(text);
  if (!Array.isArray(j)) return out;
  for (const e of j) {
    const o = obj(e);
    const id = str(o?.id);
    const names = o?.names;
    const name = Array.isArray(names) ? str(names[0]) : null;
    if (id && name) out.set(id, name);
  }
  return out;
}

/** An OCI runtime spec (config.json): the container name from CRI (containerd, CRI-O) or nerdctl annotations. */
export function parseOciAnnotations(text: string): StateFacts | null {
  const j = obj(parseJson(text));
  if (!j) return null;
  const a = obj(j.annotations) ?? {};
  const sandbox = str(a['io.kubernetes.cri.container-type']) === 'sandbox';
  return {
    name:
      str(a['io.kubernetes.cri.container-name']) ?? // containerd CRI
      str(a['io.kubernetes.container.name']) ?? // CRI-O
      (sandbox ? str(a['io.kubernetes.cri.sandbox-name']) : null) ??
      str(a['nerdctl/name']),
    podName: str(a['io.kubernetes.cri.sandbox-name']) ?? str(a['io.kubernetes.pod.name']),
    podNamespace: str(a['io.kubernetes.cri.sandbox-namespace']) ?? str(a['io.kubernetes.pod.namespace']),
  };
}

/** machined's /run/systemd/machines/NAME: `KEY=VALUE` lines. */
export function parseMachineRecord(text: string): StateFacts {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { name: str(kv.get('NAME')), podName: null, podNamespace: null, service: str(kv.get('SERVICE')), machineClass: str(kv.get('CLASS')) };
}

/** Home directories from passwd, re-read when its mtime changes. */
let passwdHomes: { file: string; mtimeMs: number; homes: Map<number, string> } | null = null;
function homeFromPasswd(etcRoot: string, uid: number): string | null {
  const file = path.join(etcRoot, 'passwd');
  try {
    const st = fs.statSync(file);
    if (!passwdHomes || passwdHomes.file !== file || passwdHomes.mtimeMs !== st.mtimeMs) {
      const homes = new Map<number, string>();
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length >= 6 && /^\d+$/.test(f[2]) && f[5].startsWith('/') && !homes.has(Number(f[2]))) homes.set(Number(f[2]), f[5]);
      }
      passwdHomes = { file, mtimeMs: st.mtimeMs, homes };
    }
  } catch {
    return null;
  }
  return passwdHomes.homes.get(uid) ?? null;
}

/** Entries of the parse caches and the passwd homes (the soak bench's figures). */
export function containerCacheSizes(): Record<string, number> {
  let podmanNames = 0;
  for (const e of podmanCache.values()) podmanNames += e.value.size;
  return { docker: dockerCache.size, podman: podmanCache.size, podmanNames, oci: ociCache.size, machine: machineCache.size, passwdHomes: passwdHomes?.homes.size ?? 0 };
}

/**
 * Resolves cgroup texts to containers. One resolver per snapshot: each (runtime, id) is looked up
 * once however many processes share it; file parses are cached across resolvers.
 */
export class ContainerResolver {
  private readonly root: string;
  private readonly homeOf: (uid: number) => string | null;
  private readonly procRoot: string;
  private readonly memo = new Map<string, Promise<ContainerInfo | null>>();
  private taskNamespaces: Promise<string[]> | null = null;
  /** Directories checked for this resolver (one snapshot): local file systems, no symlinks but root's. */
  private safe: SafeLstat | null = null;

  constructor(opts: ContainerStateOptions = {}) {
    this.root = opts.stateRoot ?? '/';
    const etc = opts.etcRoot ?? '/etc';
    this.homeOf = opts.homeOf ?? ((uid) => homeFromPasswd(etc, uid));
    this.procRoot = opts.procRoot ?? '/proc';
  }

  /** The container a /proc/PID/cgroup text names, confirmed against the runtime's state; null when none. */
  async fromCgroup(text: string): Promise<ContainerInfo | null> {
    for (const c of containerCandidates(text)) {
      const k = `${c.runtime}/${c.id}/${c.rootlessUid ?? ''}/${c.namespace ?? ''}/${c.podUid ?? ''}`;
      let p = this.memo.get(k);
      if (!p) {
        p = this.resolve(c);
        this.memo.set(k, p);
      }
      const info = await p;
      if (info) return { ...info, cgroup: c.cgroup, pod: info.pod && { ...info.pod } };
    }
    return null;
  }

  private state(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  private async resolve(c: CgroupContainer): Promise<ContainerInfo | null> {
    let runtime: ContainerRuntime = c.runtime;
    let facts: StateFacts | null = null;
    switch (c.runtime) {
      case 'docker':
        facts = await this.docker(c.id, c.rootlessUid);
        break;
      case 'podman':
        facts = await this.podman(c.id, c.rootlessUid);
        break;
      case 'containerd': {
        facts = await this.containerd(c.id, c.namespace);
        if (c.verify === 'containerd-task' && !facts) return null; // a bare /NS/ID path that is not containerd's
        break;
      }
      case 'cri-o':
        facts = await this.crio(c.id);
        break;
      case 'kubernetes': {
        // cgroupfs driver: which engine runs it is only on disk
        if ((facts = await this.containerd(c.id))) runtime = 'containerd';
        else if ((facts = await this.crio(c.id))) runtime = 'cri-o';
        else if ((facts = await this.docker(c.id, null))) runtime = 'docker';
        break;
      }
      case 'nspawn': {
        const m = await this.machine(c.id);
        if (m?.machineClass === 'vm') return null; // a VM's host process (qemu), not a container
        runtime = m?.service === 'systemd-nspawn' ? 'nspawn' : 'machined';
        facts = { name: c.name, podName: null, podNamespace: null };
        break;
      }
      case 'machined':
      case 'lxc':
        facts = { name: c.name, podName: null, podNamespace: null };
        break;
    }
    return {
      runtime,
      id: c.id,
      name: facts?.name ?? c.name,
      pod: c.podUid ? { uid: c.podUid, name: facts?.podName ?? null, namespace: facts?.podNamespace ?? null } : null,
      rootlessUid: c.rootlessUid,
      cgroup: c.cgroup,
    };
  }

  /**
   * A file under a rootless runtime's user's home, when every directory on the way is on a local
   * file system and none is a symlink but root's (diagnose/paths.ts SafeLstat): that user owns the
   * directories, and a path through their FUSE mount or a symlink to one would leave a thread of
   * Node's shared I/O pool blocked for good in the open (four of them stall every file read of the
   * extension host). null when not.
   */
  private rootlessFile(uid: number, rel: string): string | null {
    const home = this.homeOf(uid);
    if (!home || stuckRootless.has(uid)) return null;
    if (!this.safe) {
      const mounts = readMountTable(this.procRoot);
      // no mount table read: no way to tell a FUSE mount on the way, so nothing is read
      if (mounts.types.size === 0) return null;
      this.safe = new SafeLstat(mounts);
    }
    const d = this.safe.dir(path.join(home, path.dirname(rel)));
    return 'skipped' in d ? null : path.join(d.real, path.basename(rel));
  }

  /** readParsed of a rootless user's file under a deadline; a read that misses it rules that user's state out for good (its thread is lost). */
  private async readRootless<T>(uid: number, file: string, opts: SafeReadOptions, parse: (text: string) => T, cache: Map<string, { key: string; value: T }>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    try {
      return await withDeadline(`read ${file}`, SMALL_READ_DEADLINE_MS, () => readParsed(file, opts, parse, cache));
    } catch (e) {
      if (e instanceof DeadlineError) stuckRootless.add(uid); // not for a call refused up front (too many stuck)
      return { ok: false, error: e instanceof DeadlineError ? 'ETIMEDOUT' : 'EBUSY' };
    }
  }

  private async docker(id: string, rootlessUid: number | null): Promise<StateFacts | null> {
    const opts = { maxBytes: LIMITS.dockerConfig, owners: this.owners([rootlessUid ?? 0]) };
    let r;
    if (rootlessUid !== null) {
      const f = this.rootlessFile(rootlessUid, path.join('.local/share/docker/containers', id, 'config.v2.json'));
      if (!f) return null;
      r = await this.readRootless(rootlessUid, f, opts, parseDockerConfig, dockerCache);
    } else r = await readParsed(this.state('var/lib/docker/containers', id, 'config.v2.json'), opts, parseDockerConfig, dockerCache);
    return r.ok ? r.value : null;
  }

  private async podman(id: string, rootlessUid: number | null): Promise<StateFacts | null> {
    const opts = { maxBytes: LIMITS.podmanList, owners: this.owners([rootlessUid ?? 0]) };
    // containers/storage keeps one list per storage driver: overlay where the kernel allows it,
    // vfs where it does not (rootless without fuse-overlayfs), btrfs or zfs when configured
    for (const driver of STORAGE_DRIVERS) {
      const rel = `containers/storage/${driver}-containers/containers.json`;
      let r;
      if (rootlessUid !== null) {
        const f = this.rootlessFile(rootlessUid, path.join('.local/share', rel));
        if (!f) continue;
        r = await this.readRootless(rootlessUid, f, opts, parsePodmanContainers, podmanCache);
      } else r = await readParsed(this.state('var/lib', rel), opts, parsePodmanContainers, podmanCache);
      const name = r.ok ? r.value.get(id) : undefined;
      if (name !== undefined) return { name, podName: null, podNamespace: null };
    }
    return { name: null, podName: null, podNamespace: null };
  }

  /** containerd's task directory in `ns`, or in any namespace when not given. */
  private async containerd(id: string, ns?: string): Promise<StateFacts | null> {
    const base = this.state('run/containerd/io.containerd.runtime.v2.task');
    const list = ns ? [ns] : await (this.taskNamespaces ??= fs.promises.readdir(base).catch(() => [] as string[]));
    for (const n of list) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(n)) continue;
      const r = await readParsed(path.join(base, n, id, 'config.json'), { maxBytes: LIMITS.ociConfig, owners: this.owners([0]) }, parseOciAnnotations, ociCache);
      if (r.ok && r.value) return r.value;
    }
    return null;
  }

  private async crio(id: string): Promise<StateFacts | null> {
    const r = await readParsed(this.state('run/containers/storage/overlay-containers', id, 'userdata/config.json'), { maxBytes: LIMITS.ociConfig, owners: this.owners([0]) }, parseOciAnnotations, ociCache);
    return r.ok ? r.value : null;
  }

  private async machine(name: string): Promise<StateFacts | null> {
    const r = await readParsed(this.state('run/systemd/machines', name), { maxBytes: LIMITS.machine, owners: this.owners([0]) }, parseMachineRecord, machineCache);
    return r.ok ? r.value : null;
  }

  /** Root-owned state may also belong to the caller when tests run a captured tree as another user. */
  private owners(list: number[]): number[] {
    const me = typeof process.geteuid === 'function' ? process.geteuid() : 0;
    return this.root !== '/' && !list.includes(me) ? [...list, me] : list;
  }
}
