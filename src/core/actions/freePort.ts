// Free Port: stop every process holding a listener on a port, then prove the port is free.
//
//   1. For each holder: its SIGTERM disposition (caught / ignored / default, blocked) is shown
//      first (`disposition` event), read fresh from /proc/PID/status.
//   2. SIGTERM through the one action runner (runner.ts runSignal: the shared policy's questions —
//      another user's process, pid 1, VS Code itself, a root service not started here — then the
//      pidfd signal bound to the start time).
//   3. Wait for every holder to exit, polling a pidfd held on each (exitWatch.ts), until the
//      deadline; a SIGTERM the process ignores is not waited for.
//   4. SIGKILL for each survivor through the same runner (the policy always asks: it cannot be
//      caught); wait again.
//   5. Bind test on every listener's address and port in its own network namespace
//      (bindProbe.ts; handles on foreign namespaces are taken before anything is signalled),
//      then a fresh look at the port for whatever still holds it (restarted by a supervisor, a
//      child that inherited the socket, accepted connections).
// A UDP-Lite socket on the port is never a reason to stop anything: its port is UDP-Lite's (a
// table of its own), not UDP's, so no listener list given here holds it (ports.ts), and results
// name it apart (`udpLite`) so that a failed bind is not blamed on it.
// The UI (CLI, extension) answers questions through `hooks.confirm` and shows `hooks.onEvent`.
import * as fs from 'node:fs';
import type { ProcessInfo, Snapshot } from '../model';
import { loadNative, type NativeAddon } from '../native';
import { parseStatus } from '../parsers/procPid';
import { readTextWithin } from '../deadline';
import { findListeners, hostPortShown, listenerProtocolText, othersOn, termDisposition, udpLiteListenersIn, type PortListener, type Protocol, type TermDisposition } from '../ports';
import { localShown } from '../kinds/inet';
import type { SnapshotOptions } from '../snapshot';
import { bindTest, openNetns, ownNetns, type BindResult, type BindTarget } from './bindProbe';
import { ActionError } from './errors';
import { ExitWatch } from './exitWatch';
import type { ProcessOrigin } from './policy';
import { currentEuid, runSignal, type Question } from './runner';

export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** A holder's name for events, questions and stops: comm, and its bytes when they are not UTF-8. */
const who = (p: { comm: string; commBytes?: string }): { comm: string; commBytes?: string } => (p.commBytes !== undefined ? { comm: p.comm, commBytes: p.commBytes } : { comm: p.comm });

/** The runner's question (title, detail, action, reasons — plain text: the asker escapes) with Free Port's context. */
export interface StopQuestion extends Question {
  pid: number;
  comm: string;
  /** comm's bytes in hex when they are not UTF-8 (ProcessInfo.commBytes): shown by them (shownComm). */
  commBytes?: string;
  signal: StopSignal;
  /** For SIGKILL: how long it was given after SIGTERM (0: it ignores SIGTERM). */
  waitedMs?: number;
}

export type FreePortEvent =
  | { type: 'disposition'; pid: number; comm: string; commBytes?: string; sigterm: TermDisposition }
  | { type: 'policy'; pid: number; signal: StopSignal; warnings: string[]; notes: string[] }
  | { type: 'signal'; pid: number; signal: StopSignal; method: string; weakerGuarantee?: string }
  | { type: 'declined'; pid: number; signal: StopSignal }
  | { type: 'exited'; pid: number; afterMs: number; signal: StopSignal }
  | { type: 'timeout'; pid: number; signal: StopSignal; waitedMs: number }
  | { type: 'error'; pid: number; signal: StopSignal; code: string; message: string }
  | { type: 'bind'; result: BindResult };

export interface FreePortHooks {
  /** Answer true to send the signal. */
  confirm(q: StopQuestion): Promise<boolean>;
  onEvent?(e: FreePortEvent): void;
}

export interface FreePortOptions {
  /** How long after SIGTERM before SIGKILL is offered. Default 5000 ms. */
  signalTimeoutMs?: number;
  /** How long to wait after SIGKILL. Default 3000 ms. */
  killTimeoutMs?: number;
  /** The caller's effective uid for the policy; default process.geteuid(). */
  euid?: number;
  /** Where a process comes from (origin.ts: vscodeOrigins in the extension, sessionOrigins in the CLI); default: unknown. */
  origin?: (pid: number) => Promise<ProcessOrigin>;
  native?: NativeAddon | null;
  procRoot?: string;
  /** For the re-scan after the stop. */
  snapshot?: Omit<SnapshotOptions, 'kinds' | 'pids'>;
  /** Takes the re-scan (the extension: in a worker, never on its host's thread); default takeSnapshot here (the CLI). */
  scan?: (opts: SnapshotOptions) => Promise<Snapshot>;
}

export type StopOutcome = 'exited' | 'gone' | 'declined' | 'still-running' | 'error';

export interface ProcessStop {
  pid: number;
  comm: string;
  /** comm's bytes in hex when they are not UTF-8 (ProcessInfo.commBytes). */
  commBytes?: string;
  startTime: number;
  sigterm: TermDisposition;
  /** Signals actually sent, in order. */
  sent: StopSignal[];
  outcome: StopOutcome;
  /** ms from the first signal to the exit. */
  exitedAfterMs?: number;
  error?: string;
}

export interface FreePortResult {
  port: number;
  protocol: Protocol | null;
  listeners: PortListener[];
  stops: ProcessStop[];
  bind: BindResult[];
  /** Every bind test passed: true; one found the port busy: false; a test could not run: null. */
  free: boolean | null;
  /** Listeners on the port after the stop (a supervisor may have restarted the server). */
  remaining: PortListener[];
  /** Other sockets still bound to the port (accepted connections held by children, …). */
  otherSockets: { id: string; local: string; remote: string; state: string; netns: string; pids: number[]; mptcp?: true }[];
  /** Unconnected UDP-Lite sockets on the port number (after the stop): UDP-Lite's port, not UDP's — not stopped, failing no bind tested here. */
  udpLite: PortListener[];
}

/** The signal masks now, from /proc/PID/status (the snapshot may be seconds old; read off this thread, under a deadline); the snapshot's when unreadable. */
async function freshSignals(p: ProcessInfo, procRoot: string): Promise<ProcessInfo['signals']> {
  try {
    const st = parseStatus(await readTextWithin(`${procRoot}/${p.pid}/status`));
    return st.uid === null ? p.signals : st.signals;
  } catch {
    return p.signals;
  }
}

/** The sockets bound to the port that are not listeners (accepted connections, a client's local end, a socket bound and never listening), as a result lists them. */
export function otherSocketsOn(snap: Snapshot, port: number, protocol?: Protocol): FreePortResult['otherSockets'] {
  return othersOn(snap, port, protocol).map((c) => ({ id: c.id, local: c.local, remote: c.remote, state: c.state, netns: c.netns, pids: [...new Set(c.endpoints.map((e) => e.pid))], ...(c.protocol === 'mptcp' ? { mptcp: true as const } : {}) }));
}

/** FreePortResult.free from the bind tests: every one passed, true; one found the port busy, false; none ran or one could not, null. */
export function bindVerdict(bind: readonly BindResult[]): boolean | null {
  return bind.length === 0 ? null : bind.some((b) => b.free === false) ? false : bind.every((b) => b.free === true) ? true : null;
}

function bindTargets(listeners: readonly PortListener[]): BindTarget[] {
  const out: BindTarget[] = [];
  for (const l of listeners) {
    if (!out.some((t) => t.protocol === l.protocol && t.family === l.family && t.address === l.address && t.port === l.port && t.netns === l.netns)) {
      out.push({ protocol: l.protocol, family: l.family, address: l.address, port: l.port, netns: l.netns });
    }
  }
  return out;
}

/**
 * Stops the holders of `listeners` (from findListeners / listenersIn) and tests the port.
 * `processes` are the snapshot's processes (for the policy: state, tracer, masks, uid).
 */
export async function freePort(port: number, listeners: readonly PortListener[], processes: readonly ProcessInfo[], hooks: FreePortHooks, opts: FreePortOptions = {}): Promise<FreePortResult> {
  const procRoot = opts.procRoot ?? '/proc';
  const native = opts.native !== undefined ? opts.native : loadNative().addon;
  const termMs = opts.signalTimeoutMs ?? 5000;
  const killMs = opts.killTimeoutMs ?? 3000;
  const euid = opts.euid ?? currentEuid();
  const origin = opts.origin ?? (async () => ({}));
  const signalOptions = { native, procRoot };
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const emit = (e: FreePortEvent) => hooks.onEvent?.(e);
  const protocols = new Set(listeners.map((l) => l.protocol));

  // handles on foreign namespaces first: their last process may be one we are about to stop
  const own = ownNetns(procRoot);
  const nsFds = new Map<string, number | null>();
  for (const l of listeners) {
    if (l.netns === own || nsFds.has(l.netns)) continue;
    const candidates = [...l.processes.map((p) => p.pid), ...processes.filter((p) => p.netns === l.netns).map((p) => p.pid)];
    nsFds.set(l.netns, openNetns(l.netns, candidates, procRoot));
  }

  try {
    // the holders, once each, in pid order, as the snapshot saw them (start time, state, uid)
    const targets = new Map<number, ProcessInfo>();
    const stops: ProcessStop[] = [];
    for (const l of listeners) {
      for (const h of l.processes) {
        if (targets.has(h.pid) || stops.some((s) => s.pid === h.pid)) continue;
        const p = byPid.get(h.pid);
        if (p && p.startTime === h.startTime) targets.set(h.pid, p);
        else stops.push({ pid: h.pid, ...who(h), startTime: h.startTime, sigterm: h.sigterm, sent: [], outcome: 'error', error: 'EINVAL: not in the snapshot given with the listeners' });
      }
    }
    const watches = new Map<number, ExitWatch>();
    const t0 = new Map<number, number>();
    const fresh = new Map<number, ProcessInfo>();
    for (const p of [...targets.values()].sort((a, b) => a.pid - b.pid)) {
      const now = { ...p, signals: await freshSignals(p, procRoot) };
      fresh.set(p.pid, now);
      const sigterm = termDisposition(now);
      emit({ type: 'disposition', pid: p.pid, ...who(p), sigterm });
      stops.push({ pid: p.pid, ...who(p), startTime: p.startTime, sigterm, sent: [], outcome: 'still-running' });
    }

    // SIGTERM to each (after the policy's questions)
    for (const s of stops) {
      const p = fresh.get(s.pid);
      if (!p) continue;
      const watch = ExitWatch.open(p.pid, p.startTime, { native, procRoot });
      if (!watch) {
        s.outcome = 'gone';
        continue;
      }
      const out = await runSignal(
        { process: p, signal: 'SIGTERM' },
        { euid, origin, signalOptions, confirm: (q) => hooks.confirm({ ...q, pid: p.pid, ...who(p), signal: 'SIGTERM' }) },
      );
      if (out.risk && out.risk.warnings.length + out.risk.notes.length > 0) emit({ type: 'policy', pid: p.pid, signal: 'SIGTERM', warnings: out.risk.warnings, notes: out.risk.notes });
      if (out.status === 'cancelled') {
        emit({ type: 'declined', pid: p.pid, signal: 'SIGTERM' });
        s.outcome = 'declined';
        watch.close();
      } else if (out.status === 'done') {
        s.sent.push('SIGTERM');
        t0.set(p.pid, performance.now());
        emit({ type: 'signal', pid: p.pid, signal: 'SIGTERM', method: out.result.method, ...(out.result.weakerGuarantee ? { weakerGuarantee: out.result.weakerGuarantee } : {}) });
        watches.set(p.pid, watch);
      } else {
        watch.close();
        const code = out.error.code;
        if (code === 'ESRCH') s.outcome = 'gone';
        else {
          s.outcome = 'error';
          s.error = `${code}: ${out.error.message}`;
          emit({ type: 'error', pid: p.pid, signal: 'SIGTERM', code, message: out.error.message });
        }
      }
    }

    // wait for all at once; an ignored SIGTERM is not waited for
    const wait = async (pids: number[], ms: number, sig: StopSignal) =>
      Promise.all(
        pids.map(async (pid) => {
          const s = stops.find((x) => x.pid === pid)!;
          const w = watches.get(pid)!;
          const noWait = sig === 'SIGTERM' && s.sigterm.disposition === 'ignored';
          const exited = noWait ? !w.alive() : await w.waitExit(ms);
          if (exited) {
            s.outcome = 'exited';
            s.exitedAfterMs = Math.round(performance.now() - t0.get(pid)!);
            emit({ type: 'exited', pid, afterMs: s.exitedAfterMs, signal: sig });
          } else emit({ type: 'timeout', pid, signal: sig, waitedMs: noWait ? 0 : ms });
          return exited;
        }),
      );
    await wait([...watches.keys()], termMs, 'SIGTERM');

    // SIGKILL, asked for each survivor
    const killed: number[] = [];
    for (const s of stops) {
      if (s.outcome !== 'still-running' || !watches.has(s.pid)) continue;
      const p = fresh.get(s.pid)!;
      const waitedMs = s.sigterm.disposition === 'ignored' ? 0 : termMs;
      if (!watches.get(s.pid)!.alive()) {
        s.outcome = 'exited';
        s.exitedAfterMs = Math.round(performance.now() - t0.get(s.pid)!);
        emit({ type: 'exited', pid: s.pid, afterMs: s.exitedAfterMs, signal: 'SIGTERM' });
        continue;
      }
      const out = await runSignal(
        { process: p, signal: 'SIGKILL' },
        {
          euid,
          origin,
          signalOptions,
          // re-checked at the answer: it may have exited while the question was open
          confirm: async (q) => (await hooks.confirm({ ...q, pid: p.pid, ...who(p), signal: 'SIGKILL', waitedMs })) && watches.get(s.pid)!.alive(),
        },
      );
      if (out.status === 'cancelled') {
        if (!watches.get(s.pid)!.alive()) {
          s.outcome = 'exited';
          s.exitedAfterMs = Math.round(performance.now() - t0.get(s.pid)!);
          emit({ type: 'exited', pid: s.pid, afterMs: s.exitedAfterMs, signal: 'SIGTERM' });
        } else emit({ type: 'declined', pid: p.pid, signal: 'SIGKILL' });
      } else if (out.status === 'done') {
        s.sent.push('SIGKILL');
        emit({ type: 'signal', pid: p.pid, signal: 'SIGKILL', method: out.result.method, ...(out.result.weakerGuarantee ? { weakerGuarantee: out.result.weakerGuarantee } : {}) });
        killed.push(p.pid);
      } else {
        const code = out.error.code;
        if (code === 'ESRCH') s.outcome = 'exited';
        else {
          s.outcome = 'error';
          s.error = `${code}: ${out.error.message}`;
          emit({ type: 'error', pid: p.pid, signal: 'SIGKILL', code, message: out.error.message });
        }
      }
    }
    await wait(killed, killMs, 'SIGKILL');
    for (const w of watches.values()) w.close();

    // is it free?
    const bind: BindResult[] = [];
    for (const t of bindTargets(listeners)) {
      const r = await bindTest(t, nsFds.get(t.netns) ?? null, procRoot);
      bind.push(r);
      emit({ type: 'bind', result: r });
    }
    const protocol = protocols.size === 1 ? [...protocols][0] : null;
    const after = await findListeners(port, { protocol: protocol ?? undefined, snapshot: opts.snapshot, scan: opts.scan });
    const otherSockets = otherSocketsOn(after.snapshot, port, protocol ?? undefined);
    const free = bindVerdict(bind);
    return { port, protocol, listeners: [...listeners], stops, bind, free, remaining: after.listeners, otherSockets, udpLite: after.udpLite };
  } finally {
    for (const fd of nsFds.values()) if (fd !== null) fs.closeSync(fd);
  }
}

/** Errors of an IPv6 bind on a machine (or namespace) without IPv6. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/**
 * A port nothing listens on, tested as after a stop: a bind of the IPv4 wildcard and of the IPv6
 * one (dual-stack) in this network namespace, per protocol. "Nothing listens" is not "free": a
 * socket bound and never listening, or a connected UDP socket, still makes a bind fail
 * (EADDRINUSE), and ss -l, lsof -i and fuser list neither as a listener. `otherSockets` names what
 * the snapshot saw bound to the port.
 */
export async function testIdlePort(port: number, snapshot: Snapshot, protocol?: Protocol, procRoot = '/proc'): Promise<FreePortResult> {
  const own = ownNetns(procRoot);
  const bind: BindResult[] = [];
  for (const pr of protocol ? [protocol] : (['tcp', 'udp'] as const)) {
    bind.push(await bindTest({ protocol: pr, family: 4, address: '0.0.0.0', port, netns: own ?? 'self' }, null, procRoot));
    // and IPv6's wildcard, dual-stack: a socket bound to an IPv6 address alone (`[::1]:P`, v6-only)
    // leaves 0.0.0.0 free and still fails a server that binds `[::]` — node's default, and nginx's
    // `listen [::]:P`. A machine without IPv6 says so by the error: nothing binds IPv6 there.
    const v6 = await bindTest({ protocol: pr, family: 6, address: '::', port, netns: own ?? 'self' }, null, procRoot);
    if (!NO_IPV6.has(v6.error ?? '')) bind.push(v6);
  }
  return { port, protocol: protocol ?? null, listeners: [], stops: [], bind, free: bindVerdict(bind), remaining: [], otherSockets: otherSocketsOn(snapshot, port, protocol), udpLite: udpLiteListenersIn(snapshot, port, protocol) };
}

/**
 * What to tell someone who asked to free a port nothing listens on (testIdlePort's result), one
 * line, plain text (the caller escapes it): whether it is free, which bind failed, and what holds
 * it — the sockets bound to it, by process (`label`), or that none that a scan lists does.
 */
export function idlePortText(r: FreePortResult, label: (pid: number) => string): string {
  const what = `Nothing listens on port ${r.port}${r.protocol ? ` (${r.protocol.toUpperCase()})` : ''}`;
  const binds = (free: boolean | null) => r.bind.filter((b) => b.free === free).map((b) => `${b.protocol} ${hostPortShown(b.family, b.address, b.port)}`);
  // `tcp 0.0.0.0:P, tcp [::]:P and udp 0.0.0.0:P`
  const listed = (all: string[]) => (all.length > 1 ? `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}` : (all[0] ?? ''));
  const held = r.otherSockets.slice(0, 3).map((o) => {
    const proto = o.id.split(':')[0] + (o.mptcp ? ' (MPTCP)' : '');
    const unconnected = !o.remote || /^(0\.0\.0\.0|\[::\]|\*):\*$/.test(o.remote);
    const state = unconnected ? (proto === 'tcp' ? 'bound, not listening' : 'bound') : o.state === 'ESTAB' ? `connected to ${o.remote}` : `${o.state}, to ${o.remote}`;
    return `${proto} ${o.local} (${state}) by ${o.pids.map(label).join(', ') || 'no readable process'}`;
  });
  const more = r.otherSockets.length > 3 ? `, and ${r.otherSockets.length - 3} more` : '';
  // a UDP-Lite socket on the number is named, so that nobody takes it for the port's holder
  const lites = r.udpLite.map((l) => `${listenerProtocolText(l)} ${localShown(l)} by ${l.processes.map((p) => label(p.pid)).join(', ') || 'no readable process'}`);
  const lite = lites.length ? ` (${listed(lites.slice(0, 3))}${lites.length > 3 ? ` and ${lites.length - 3} more` : ''}: UDP-Lite's port ${r.port}, which is not UDP's — left alone.)` : '';
  if (r.free === true) return `${what}, and it is free: a bind on ${listed(binds(true))} succeeded.${lite}`;
  if (r.free === false) {
    const by = held.length
      ? `Bound to it: ${held.join('; ')}${more}. Stop that process to free the port.`
      : 'No socket this scan lists holds it (a socket bound and never listening does that, and ss -l, lsof -i and fuser list it neither).';
    const failed = binds(false);
    return `${what}, but it is not free: a bind on ${listed(failed)} ${failed.length > 1 ? 'fail' : 'fails'} (address in use). ${by}${lite}`;
  }
  const why = r.bind.filter((b) => b.free === null).map((b) => `${b.protocol}: ${b.error ?? 'unknown'}`);
  return `${what}; whether it is free could not be tested (${why.join('; ')}).${held.length ? ` Bound to it: ${held.join('; ')}${more}.` : ''}${lite}`;
}

/** Validates a port number from user input. */
export function checkPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new ActionError('EINVAL', `port must be an integer from 1 to 65535: ${String(port)}`);
  return port;
}
