// ipcInspector.freePort — "what is holding port 3000, and how do I free it?":
//   1. the port: from a TCP/UDP listener's node (context menu), a number, or a quick pick of the
//      current listeners (port, process, container, provenance) where a typed number is a port too;
//   2. a fresh snapshot (the worker) gives every listener on it in every network namespace; the
//      holder is picked (process, command line, user, container, netns, provenance);
//   3. one modal names it with what SIGTERM does to it (caught / ignored / default, blocked) and
//      the shared policy's reasons, before anything is sent — or, for a published port whose
//      holder is docker-proxy / conmon, offers to stop the container through its runtime's CLI;
//   4. core/actions/freePort.ts sends SIGTERM through the runner (pidfd bound to the start time),
//      waits under a progress notification, asks (modal) before SIGKILL after the timeout, and
//      tests the port with a bind in each listener's namespace; the result says whether it is free.
// Every process text reaches VS Code through ui.ts (escaped for its surface); progress messages
// through notificationText. Resolves to the core's result (tests), or undefined when cancelled.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { freePort, idlePortText, testIdlePort, type FreePortEvent, type FreePortResult, type StopQuestion } from '../core/actions/freePort';
import { ownNetns } from '../core/actions/bindProbe';
import { signalRisk } from '../core/actions';
import { notificationText } from '../core/escape';
import { commLabel, containerLabel, processLabel, shortText, shownCommand, shownComm } from '../core/format';
import type { ProcessInfo, Snapshot } from '../core/model';
import { containerBehind } from '../core/publishedPort';
import { hostPortShown, listenerPort, listenerProtocolText, listenersIn, type ListenerProcess, type PortListener, type TermDisposition } from '../core/ports';
import { localShown } from '../core/kinds/inet';
import { ChannelNode, EndpointNode } from '../views/nodes';
import { extensionRunnerEnv } from './actionEnv';
import { ensureSnapshot, errorText, targetNode, workerScan, type Services } from './services';
import { unreadableHint } from '../core/snapshotWarnings';
import { plural } from '../core/text';

export interface FreePortCommandOptions {
  /** ms after SIGTERM before SIGKILL is offered (default 5000). */
  signalTimeoutMs?: number;
}

export function dispositionText(d: TermDisposition): string {
  const base = d.handledBy
    ? `SIGTERM is caught (${d.handledBy.toLowerCase()}: the process reads it and decides)`
    : d.disposition === 'caught'
      ? 'SIGTERM is caught: a handler runs (a clean shutdown, or nothing)'
      : d.init === 'nested'
        ? "SIGTERM is dropped by the kernel: the process is PID 1 of its own pid namespace (a container's init) and has no handler for it — only SIGKILL stops it"
        : d.init === 'own'
          ? 'SIGTERM is dropped by the kernel: the process is the init process and has no handler for it'
          : d.disposition === 'ignored'
        ? 'SIGTERM is ignored: it will have no effect, only SIGKILL stops it'
        : 'SIGTERM is not handled: the default action terminates it';
  return d.blocked && !d.handledBy ? `${base}; it is blocked, so it stays pending until the process unblocks it` : base;
}

/** The port a command argument names: a listener node, a number, or digits. */
function portFromArg(s: Services, arg: unknown): number | undefined {
  if (typeof arg === 'number' && Number.isInteger(arg) && arg >= 1 && arg <= 65535) return arg;
  if (typeof arg === 'string' && /^\d{1,5}$/.test(arg.trim())) return portFromArg(s, Number(arg.trim()));
  const node = arg !== undefined ? targetNode(s, arg) : undefined;
  if (node instanceof ChannelNode || node instanceof EndpointNode) return listenerPort(node.channel);
  return undefined;
}

type PortItem = vscode.QuickPickItem & { port?: number };

/** Current listeners as quick pick items (one per port and protocol), a typed number first; only that before the scan. */
function portItems(s: Services, snap: Snapshot | undefined, value: string): PortItem[] {
  const procs = new Map(snap?.processes.map((p) => [p.pid, p]));
  const byPort = new Map<string, { port: number; proto: string; holders: Set<number>; locals: Set<string>; mptcp: boolean }>();
  for (const c of snap?.channels ?? []) {
    const port = listenerPort(c);
    if (port === undefined || (c.kind !== 'tcp' && c.kind !== 'udp')) continue;
    const key = `${port}/${c.kind}`;
    let e = byPort.get(key);
    if (!e) byPort.set(key, (e = { port, proto: c.kind, holders: new Set(), locals: new Set(), mptcp: false }));
    e.locals.add(c.local);
    if (c.kind === 'tcp' && c.protocol === 'mptcp') e.mptcp = true;
    for (const ep of c.endpoints) e.holders.add(ep.pid);
  }
  const items: PortItem[] = [];
  const typed = value.trim();
  if (/^\d{1,5}$/.test(typed) && Number(typed) >= 1 && Number(typed) <= 65535) {
    items.push({ label: `Port ${Number(typed)}`, description: 'free this port (every listener on it, in every network namespace)', port: Number(typed), iconPath: new vscode.ThemeIcon('plug'), alwaysShow: true });
  }
  const sorted = [...byPort.values()].sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
  for (const e of sorted) {
    const holders = [...e.holders].map((pid) => procs.get(pid)).filter((p): p is ProcessInfo => !!p);
    const who = holders.slice(0, 3).map((p) => processLabel(p.pid, p));
    const extra = [...new Set(holders.map((p) => [p.container ? containerLabel(p.container) : '', s.provenance?.of(p.pid)?.label ?? ''].filter(Boolean).join(' · ')).filter(Boolean))];
    items.push({
      label: `${e.port}/${e.proto}${e.mptcp ? ' (MPTCP)' : ''}`,
      description: [who.join(', ') + (holders.length > 3 ? ` +${holders.length - 3}` : ''), ...extra.slice(0, 2)].filter(Boolean).join(' · '),
      detail: [...e.locals].slice(0, 4).join('  '),
      port: e.port,
      iconPath: new vscode.ThemeIcon('radio-tower'),
    });
  }
  return items;
}

/** `node[4211]` for a listener's holder (comm bounded; every surface escapes it). */
const holderLabel = (p: { pid: number; comm: string; commBytes?: string }) => commLabel(shownComm(p), p.pid);

type HolderItem = vscode.QuickPickItem & { holder?: ListenerProcess; listener?: PortListener; all?: boolean };

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.freePort', async (arg?: unknown, opts: FreePortCommandOptions = {}): Promise<FreePortResult | { port: number; listeners: PortListener[]; container?: string } | undefined> => {
    let port = portFromArg(s, arg);
    if (port === undefined) {
      // a fresh scan for the pick (the views' last one may be old: no view visible, paused); the
      // pick opens meanwhile, busy, and a typed port can be taken before the scan lands
      let snap: Snapshot | undefined;
      const ready = s.source
        .refresh()
        .catch(() => ensureSnapshot(s))
        .then((x) => (snap = x));
      const chosen = await s.ui.livePick<PortItem>({
        title: 'Free Port: which port?',
        placeholder: 'type a port number, or pick a listener',
        items: (value) => ({ items: portItems(s, snap, value) }),
        ready,
      });
      if (!chosen?.port) return undefined;
      port = chosen.port;
    }

    // every listener on it now, in every network namespace
    let snap: Snapshot;
    try {
      // a scan takes a tenth of a second on a quiet machine and seconds on a loaded one: the
      // status bar says what runs meanwhile, since nothing else shows until the question
      snap = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Free Port ${port}: looking for its listeners` }, () => s.source.refresh());
    } catch (e) {
      void s.ui.error(`IPC Inspector: could not scan for port ${port}: ${errorText(e)}`);
      return undefined;
    }
    const listeners = listenersIn(snap, port);
    for (const l of listeners) for (const p of l.processes) p.provenance = s.provenance?.of(p.pid)?.label ?? null;
    if (listeners.length === 0) {
      // "nothing listens" is not "free": a socket bound and never listening, or a connected UDP
      // socket, still makes the user's bind fail; a bind here tells, as the CLI's port --free does
      const idle = await testIdlePort(port, snap);
      const procs = new Map(snap.processes.map((p) => [p.pid, p]));
      const text = idlePortText(idle, (pid) => processLabel(pid, procs.get(pid)));
      s.log.info(`free port ${port}: ${JSON.stringify(idle.bind)}`);
      void (idle.free === true ? s.ui.info(text) : s.ui.warn(text));
      return idle;
    }
    const own = ownNetns();
    const holderItems: HolderItem[] = [];
    for (const l of listeners) {
      const where = `${listenerProtocolText(l)} ${localShown(l)} · netns ${l.netns}${l.netns === own ? ' (this one)' : ''}`;
      if (l.processes.length === 0) holderItems.push({ label: `(no readable process) ${where}`, description: `socket owner uid ${l.uid}`, detail: 'another user’s socket whose holder cannot be read' });
      for (const p of l.processes) {
        const inner = p.nsPid.length > 1 ? ` · pid ${p.nsPid[p.nsPid.length - 1]} inside` : '';
        holderItems.push({
          label: holderLabel(p),
          description: [where, p.user, p.container ? containerLabel(p.container) : '', p.provenance ?? ''].filter(Boolean).join(' · ') + inner,
          detail: `${dispositionText(p.sigterm)} — ${shownCommand(p) || shownComm(p)}`,
          holder: p,
          listener: l,
        });
      }
    }
    const stoppable = holderItems.filter((h) => h.holder);
    const distinct = new Set(stoppable.map((h) => h.holder!.pid));
    if (distinct.size === 0) {
      void s.ui.warn(`Port ${port}: ${plural(listeners.length, 'listener')}, but no process holding them can be read (${unreadableHint(process.geteuid?.() === 0, 'another user’s: VS Code does not run as root')}).`);
      return { port, listeners };
    }
    let chosen: HolderItem | undefined = distinct.size === 1 ? stoppable[0] : undefined;
    if (!chosen) {
      const items = [...holderItems];
      items.push({ label: `All ${distinct.size} processes`, description: `stop every holder of port ${port}`, all: true });
      chosen = await s.ui.pick(`Free port ${port}: stop which listener?`, items, { placeHolder: 'process, address, network namespace, container, started by' });
      if (!chosen || (!chosen.holder && !chosen.all)) return undefined;
    }
    const targets: ListenerProcess[] = chosen.all ? [...new Map(stoppable.map((h) => [h.holder!.pid, h.holder!])).values()] : [chosen.holder!];

    // a published port: the holder relays for a container; stopping the container is the real fix
    if (targets.length === 1) {
      const behind = containerBehind(targets[0], snap);
      if (behind) {
        // the runtime's name for it: its user's text (escaped and bounded, like a process name)
        const name = shortText(behind.container.name ?? behind.container.id.slice(0, 12));
        const stop = await s.ui.confirm({
          title: `Port ${port} is published by ${behind.cli} container ${name}. Stop the container?`,
          detail: [
            `${holderLabel(targets[0])} relays the port for it; killing the relay leaves the container running without its port.`,
            `This runs: ${behind.cli} stop ${behind.container.id}`,
          ].join('\n'),
          action: 'Stop Container',
        });
        if (stop) return stopContainer(s, port, behind.cli, behind.container.id, name, listeners);
        // declined: fall through to stopping the relay process itself
      }
    }

    // one question before anything is sent: what SIGTERM does to it, and the policy's reasons
    const env = await extensionRunnerEnv(s.ui);
    const asked = new Set<string>();
    const detail: string[] = [];
    for (const t of targets) {
      const proc = snap.processes.find((p) => p.pid === t.pid);
      let origin = {};
      try {
        origin = await env.origin(t.pid);
      } catch {
        /* unknown: the policy then asks */
      }
      const risk = proc ? signalRisk(proc, 'SIGTERM', { euid: env.euid, origin }) : undefined;
      for (const r of risk?.confirm ?? []) asked.add(r);
      detail.push(`${holderLabel(t)}: ${dispositionText(t.sigterm)}.`);
      if (t.provenance) detail.push(`  started by ${shortText(t.provenance, 120)}`);
      for (const line of [...(risk?.confirm ?? []), ...(risk?.warnings ?? [])]) detail.push(`  ${line}`);
    }
    const timeoutMs = opts.signalTimeoutMs ?? 5000;
    detail.push('', `If it is still running ${timeoutMs / 1000} s after SIGTERM, you will be asked before SIGKILL. Then a bind on the port tells whether it is free.`);
    const who = targets.length === 1 ? holderLabel(targets[0]) : `${targets.length} processes`;
    if (!(await s.ui.confirm({ title: `Free port ${port}: send SIGTERM to ${who}?`, detail: detail.join('\n'), action: 'Send SIGTERM' }))) return undefined;

    const pids = new Set(targets.map((t) => t.pid));
    const chosenListeners = listeners.map((l) => ({ ...l, processes: l.processes.filter((p) => pids.has(p.pid)) })).filter((l) => l.processes.length > 0);
    const comm = (pid: number) => holderLabel(targets.find((t) => t.pid === pid) ?? { pid, comm: '?' });
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: notificationText(`Freeing port ${port}`) }, async (progress) => {
      const say = (m: string) => progress.report({ message: notificationText(m) });
      const onEvent = (e: FreePortEvent) => {
        s.log.info(`free port ${port}: ${JSON.stringify(e)}`);
        if (e.type === 'signal') say(e.signal === 'SIGTERM' ? `sent SIGTERM to ${comm(e.pid)}; waiting for it to exit…` : `sent SIGKILL to ${comm(e.pid)}…`);
        else if (e.type === 'exited') say(`${comm(e.pid)} exited; testing the port…`);
        else if (e.type === 'timeout') say(e.waitedMs ? `${comm(e.pid)} is still running ${e.waitedMs / 1000} s after ${e.signal}` : `${comm(e.pid)} ignores ${e.signal}`);
      };
      const confirm = async (q: StopQuestion): Promise<boolean> => {
        if (q.signal === 'SIGTERM') {
          // asked above with the same policy; a reason not shown then is asked now
          if (q.reasons.every((r) => asked.has(r))) return true;
          return s.ui.confirm(q);
        }
        const why = q.waitedMs ? `did not exit within ${q.waitedMs / 1000} s after SIGTERM` : 'ignores SIGTERM';
        return s.ui.confirm({ title: `${holderLabel(q)} ${why}. Send SIGKILL to free port ${port}?`, detail: q.detail, action: q.action });
      };
      return freePort(port, chosenListeners, snap.processes, { confirm, onEvent }, { signalTimeoutMs: timeoutMs, origin: (pid) => env.origin(pid), euid: env.euid, scan: workerScan(s) });
    });
    void s.source.refresh().catch(() => undefined);
    report(s, result);
    return result;
  });
}

function report(s: Services, r: FreePortResult): void {
  const failed = r.stops.filter((x) => x.outcome === 'error').map((x) => `${holderLabel(x)}: ${x.error ?? 'failed'}`);
  const declined = r.stops.filter((x) => x.outcome === 'declined' || x.outcome === 'still-running').map((x) => holderLabel(x));
  if (r.free === true) {
    const how = r.bind.map((b) => `${b.protocol} ${hostPortShown(b.family, b.address, b.port)}`).join(', ');
    void s.ui.info(`Port ${r.port} is free: a bind on ${how} succeeded.${r.remaining.length ? ` (${plural(r.remaining.length, 'other listener remains', 'other listeners remain')} elsewhere.)` : ''}`);
    return;
  }
  const why = [
    ...declined.map((d) => `${d} is still running`),
    ...failed,
    ...r.remaining.map((l) => `still listening: ${listenerProtocolText(l)} ${localShown(l)} by ${l.processes.map((p) => holderLabel(p)).join(', ') || 'no readable process'}`),
    ...r.bind.filter((b) => b.free !== true).map((b) => `bind ${b.protocol} ${hostPortShown(b.family, b.address, b.port)} in netns ${b.netns}: ${b.free === false ? 'in use' : `not tested (${b.error ?? 'unknown'})`}`),
  ];
  const text = r.free === false ? `Port ${r.port} is still in use` : `Port ${r.port}: could not test everywhere`;
  void s.ui.warn(`${text}${why.length ? ` — ${why.join('; ')}` : ''}`);
}

/** `docker stop` / `podman stop` (no shell; the id is validated hex or the runtime's name), then a fresh look at the port. */
async function stopContainer(s: Services, port: number, cli: 'docker' | 'podman', id: string, name: string, before: PortListener[]) {
  const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: notificationText(`Stopping ${cli} container ${name}`) }, () =>
    new Promise<string | null>((resolve) => {
      execFile(cli, ['stop', '--', id], { timeout: 60_000 }, (err, _out, stderr) => resolve(err ? (String(stderr).trim() || err.message) : null));
    }),
  );
  if (ok !== null) {
    void s.ui.error(`IPC Inspector: ${cli} stop ${name} failed: ${ok}`);
    return { port, listeners: before, container: name };
  }
  const after = listenersIn(await s.source.refresh(), port);
  if (after.length === 0) void s.ui.info(`Stopped ${cli} container ${name}: nothing listens on port ${port} now.`);
  else void s.ui.warn(`Stopped ${cli} container ${name}, but port ${port} still has ${plural(after.length, 'listener')}.`);
  return { port, listeners: after, container: name };
}
