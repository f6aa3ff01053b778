// A published container port: on the host the listener is a relay — docker-proxy (docker's
// userland proxy) or podman's conmon / rootlessport (rootless port forwarding) — not the server.
// Stopping the relay leaves the container running without its port; Free Port offers to stop the
// container instead. This finds the container behind a relay from the snapshot alone: for
// docker-proxy, its -container-port and the one docker container listening on it; for conmon,
// its `-c/--cid` (conmon's own command line, written by podman). Any user can name a process
// docker-proxy or conmon and give it such arguments: only a relay running as root (rootful docker
// and podman, whose CLI the extension would run as root) is believed. Pure: no I/O.
import type { ContainerInfo, Snapshot } from './model';
import { listenersIn, type ListenerProcess } from './ports';
import { dockerProxyArgs } from './probes/netLinks';

/** The published-port case: the holder relays for a container (docker-proxy, podman's conmon). */
export function containerBehind(holder: Pick<ListenerProcess, 'comm' | 'cmdline' | 'ppid' | 'uid'>, snap: Snapshot): { container: ContainerInfo; cli: 'docker' | 'podman' } | undefined {
  const procs = snap.processes;
  if (holder.uid !== 0) return undefined; // another user's process claiming to be a relay
  if (holder.comm === 'docker-proxy') {
    const a = dockerProxyArgs(holder.cmdline);
    if (!a) return undefined;
    // the container whose own namespace listens on the proxied port
    const found = new Map<string, ContainerInfo>();
    for (const l of listenersIn(snap, a.containerPort)) {
      for (const p of l.processes) if (p.container?.runtime === 'docker') found.set(p.container.id, p.container);
    }
    return found.size === 1 ? { container: [...found.values()][0], cli: 'docker' } : undefined;
  }
  if (holder.comm === 'conmon' || holder.comm === 'rootlessport') {
    // conmon -c <id> / --cid <id>; rootlessport is conmon's child
    const conmon = holder.comm === 'conmon' ? holder : procs.find((p) => p.pid === holder.ppid && p.comm === 'conmon' && p.uid === 0);
    const argv = conmon?.cmdline ?? [];
    const i = argv.findIndex((x) => x === '-c' || x === '--cid');
    const id = i >= 0 ? argv[i + 1] : undefined;
    if (!id || !/^[0-9a-f]{12,64}$/.test(id)) return undefined;
    const c = procs.find((p) => p.container?.runtime === 'podman' && p.container.id === id)?.container;
    return c ? { container: c, cli: 'podman' } : { container: { runtime: 'podman', id, name: null, pod: null, rootlessUid: null, cgroup: '' }, cli: 'podman' };
  }
  return undefined;
}

