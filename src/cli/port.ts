// `ipc-inspector port <PORT> [--protocol tcp|udp] [--json] [--free [--signal-timeout MS] [--yes]]`:
// who listens on a port in every network namespace (process, command line, user, container,
// netns, SIGTERM disposition); with --free, stop them (SIGTERM, wait, then SIGKILL after asking)
// and report whether a bind test now succeeds. Signals go through the one runner and policy
// (core/actions/runner.ts, origins from the caller's terminal session): SIGKILL — and any step
// the policy wants confirmed — is asked on a terminal; without one it needs --yes. All process
// text is escaped (core/escape.ts), JSON through safeJson. UDP-Lite sockets on the port number are
// shown apart, as `udp (UDP-Lite)` (`udpLite` in --json): their port is UDP-Lite's, not UDP's, so
// they neither make the port taken (exit status) nor are stopped by --free.
// Exit: 0 listed / freed, 1 nothing listens (as `lsof -i :PORT` and fuser: scripts test it) / not
// freed (or a step failed), 2 usage.
import * as readline from 'node:readline';
import type { ContainerInfo, Snapshot } from '../core/model';
import { containerBehind } from '../core/publishedPort';
import { escapeControl, safeJson } from '../core/escape';
import { commLabel, containerLabel, shownCommand, shownComm, userText } from '../core/format';
import { freePort, testIdlePort, type FreePortEvent, type FreePortResult, type StopQuestion } from '../core/actions/freePort';
import { sessionOrigins } from '../core/actions/origin';
import { currentEuid } from '../core/actions/runner';
import { ownNetns } from '../core/actions/bindProbe';
import { findListeners, hostPortShown, listenerProtocolText, type PortListener, type Protocol } from '../core/ports';
import { localShown } from '../core/kinds/inet';
import { parseInteger, parseOptions, UsageError, usageLines, type OptionSpec } from './args';
import type { Output } from './output';
import { unreadableHint } from '../core/snapshotWarnings';
import { plural } from '../core/text';

export const PORT_USAGE = 'usage: ipc-inspector port <PORT> [--protocol tcp|udp] [--json] [--no-native] [--free [--signal-timeout MS] [--yes]]';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'protocol', type: 'value', metavar: 'tcp|udp', help: 'only TCP listeners or only unconnected UDP sockets (default: both)' },
  { name: 'json', type: 'flag', short: 'j', help: 'print the listeners (or the Free Port result) as JSON' },
  { name: 'free', type: 'flag', help: 'stop the listeners: SIGTERM, wait, then SIGKILL after asking; then test the port with a bind' },
  { name: 'signal-timeout', type: 'value', metavar: 'MS', help: 'how long to wait after SIGTERM before offering SIGKILL (default 5000)' },
  { name: 'yes', type: 'flag', short: 'y', help: 'answer yes to every question (needed for SIGKILL without a terminal)' },
  { name: 'no-native', type: 'flag', help: 'do not use the native addon (signals then use kill(), with a weaker guarantee)' },
  { name: 'help', type: 'flag', short: 'h', help: 'show this help' },
];

export function portHelp(): string {
  return `${PORT_USAGE}\n\nLists every listener on PORT (TCP LISTEN, unconnected UDP) in every network namespace: the process,\nits command line, user, container and namespaces, and what SIGTERM does to it. --free stops\nthem through pidfds bound to their start time and reports when a bind on the port succeeds.\nUDP-Lite sockets on the number are shown apart, as udp (UDP-Lite): UDP-Lite has ports of its own,\nso they do not hold UDP's port; --free leaves them alone.\n\nExit status: 0 when something listens (or --free freed the port), 1 when nothing listens (as lsof -i :PORT) or\nthe port was not freed, 2 on bad arguments.\n\noptions:\n${usageLines(OPTIONS).join('\n')}\n`;
}

const e = escapeControl;

function containerText(c: ContainerInfo | null): string {
  return c ? containerLabel(c) : '';
}

const dispositionText = (d: { disposition: string; blocked: boolean; handledBy?: string; init?: string }) =>
  d.handledBy
    ? `caught (${d.handledBy.toLowerCase()}: the process reads it)`
    : d.init
      ? `dropped by the kernel (${d.init === 'nested' ? "PID 1 of its pid namespace, no handler: only SIGKILL stops it from here" : 'the init process, no handler'})`
      : ({ caught: 'caught (a handler runs)', ignored: 'ignored (no effect)', default: 'default (terminates)' } as Record<string, string>)[d.disposition] + (d.blocked ? ', blocked (stays pending)' : '');

/** The command that stops a container of a runtime with a CLI of its own (a signal to a process in it may be undone by its restart policy). */
function stopCommand(c: ContainerInfo): string | null {
  return c.runtime === 'docker' || c.runtime === 'podman' ? `${c.runtime} stop ${c.id.slice(0, 12)}` : null;
}

/**
 * The listener list for people: one block per listener, one line per holder; `snap` names the
 * container behind a published port's relay. `udpLite` (udpLiteListenersIn) follow, apart: on the
 * number, but not on UDP's port.
 */
export function renderListeners(port: number, listeners: readonly PortListener[], ownNetns: string | null, protocol?: Protocol, snap?: Snapshot, udpLite: readonly PortListener[] = []): string {
  const out: string[] = [];
  if (listeners.length > 0) out.push(`port ${port}: ${plural(listeners.length, 'listener')}`);
  else out.push(protocol ? `no ${protocol.toUpperCase()} listener on port ${port}` : udpLite.length ? `no TCP or UDP listener on port ${port}` : `nothing listens on port ${port}`);
  for (const l of listeners) listenerBlock(out, l, ownNetns, snap);
  if (udpLite.length > 0) {
    out.push(`UDP-Lite on port ${port}: ${plural(udpLite.length, 'socket')} (UDP-Lite's port ${port}, not UDP's: a UDP bind on it succeeds, and --free leaves ${udpLite.length > 1 ? 'them' : 'it'} alone)`);
    for (const l of udpLite) listenerBlock(out, l, ownNetns, snap);
  }
  return out.join('\n') + '\n';
}

/** One listener's lines: protocol, address, state, namespace, then each holder. */
function listenerBlock(out: string[], l: PortListener, ownNetns: string | null, snap?: Snapshot): void {
  out.push(`  ${listenerProtocolText(l)} ${e(localShown(l))}${l.ipv4Too ? ' (IPv4 too)' : ''}  ${l.state}  netns ${l.netns}${l.netns === ownNetns ? ' (this one)' : ''}  ${l.channelId}`);
  if (l.processes.length === 0) out.push(`    held by no process whose fds could be read (${unreadableHint(process.geteuid?.() === 0, 'another user’s: run as root')})`);
  for (const p of l.processes) {
    const inner = p.nsPid.length > 1 ? `, pid ${p.nsPid[p.nsPid.length - 1]} inside its pid namespace` : '';
    out.push(`    ${commLabel(shownComm(p), p.pid)}${inner}  user ${e(userText(p))}  fd ${p.fds.join(',')}  SIGTERM: ${dispositionText(p.sigterm)}`);
    out.push(`      cmd: ${e(shownCommand(p)) || '-'}`);
    const c = containerText(p.container);
    const stop = p.container ? stopCommand(p.container) : null;
    if (c) out.push(`      container: ${c}${stop ? ` (its restart policy may start it again after a signal; to stop it: ${stop})` : ''}`);
    const behind = snap ? containerBehind(p, snap) : undefined;
    if (behind) {
      out.push(`      relays the port for ${containerText(behind.container)}: stopping this process leaves the container running without its port; to stop it: ${behind.cli} stop ${behind.container.id.slice(0, 12)}`);
    }
    if (p.provenance) out.push(`      started by: ${e(p.provenance)}`);
  }
}

function eventLine(ev: FreePortEvent): string {
  switch (ev.type) {
    case 'disposition':
      return `${commLabel(shownComm(ev), ev.pid)}: SIGTERM is ${dispositionText(ev.sigterm)}`;
    case 'policy':
      return [...ev.warnings.map((w) => `${ev.pid}: warning: ${e(w)}`), ...ev.notes.map((n) => `${ev.pid}: ${e(n)}`)].join('\n');
    case 'signal':
      return `sent ${ev.signal} to ${ev.pid} (${ev.method})${ev.weakerGuarantee ? ` — ${ev.weakerGuarantee}` : ''}`;
    case 'declined':
      return `${ev.signal} to ${ev.pid}: not sent`;
    case 'exited':
      return `${ev.pid} exited ${ev.afterMs} ms after SIGTERM${ev.signal === 'SIGKILL' ? ' (killed)' : ''}`;
    case 'timeout':
      return ev.waitedMs > 0 ? `${ev.pid} still running ${ev.waitedMs} ms after ${ev.signal}` : `${ev.pid} ignores ${ev.signal}: not waiting`;
    case 'error':
      return `${ev.signal} to ${ev.pid} failed: ${ev.code}: ${e(ev.message)}`;
    case 'bind': {
      const r = ev.result;
      const where = `${r.protocol} ${e(hostPortShown(r.family, r.address, r.port))} in netns ${r.netns} (${r.method})`;
      return r.free === true ? `bind ${where}: free` : r.free === false ? `bind ${where}: still in use (${r.error})` : `bind ${where}: could not test — ${e(r.error ?? 'unknown')}`;
    }
  }
}

function summary(r: FreePortResult): string {
  const lines: string[] = [];
  if (r.free === true) lines.push(`port ${r.port} is free`);
  else if (r.free === false) lines.push(`port ${r.port} is NOT free`);
  else lines.push(`port ${r.port}: could not be tested everywhere`);
  for (const l of r.remaining) lines.push(`  still listening: ${listenerProtocolText(l)} ${e(localShown(l))} netns ${l.netns} by ${l.processes.map((p) => commLabel(shownComm(p), p.pid)).join(', ') || 'no readable process'}`);
  for (const s of r.otherSockets) lines.push(`  other socket on the port: ${s.id}${s.mptcp ? ' (MPTCP)' : ''} ${e(s.local)} → ${e(s.remote)} ${s.state} (pids ${s.pids.join(',') || '-'})`);
  for (const l of r.udpLite) lines.push(`  left alone: ${listenerProtocolText(l)} ${e(localShown(l))} netns ${l.netns} by ${l.processes.map((p) => commLabel(shownComm(p), p.pid)).join(', ') || 'no readable process'} (UDP-Lite's port, not UDP's)`);
  return lines.join('\n') + '\n';
}

/**
 * The CLI's answer to the runner's questions: --yes says yes; on a terminal one y/N line is read
 * per question (one reader for the whole run, so an answer typed ahead is not lost); without a
 * terminal the question is printed and answered no.
 */
function asker(out: Output, yes: boolean, interactive: boolean): { ask: (q: StopQuestion) => Promise<boolean>; close(): void } {
  let rl: readline.Interface | null = null;
  const lines: string[] = [];
  const waiting: ((l: string | null) => void)[] = [];
  let closed = false;
  const nextLine = () =>
    new Promise<string | null>((resolve) => {
      if (lines.length) return resolve(lines.shift()!);
      if (closed) return resolve(null);
      waiting.push(resolve);
    });
  const ask = async (q: StopQuestion): Promise<boolean> => {
    const head =
      q.signal === 'SIGKILL' ? `${commLabel(shownComm(q), q.pid)} ${q.waitedMs ? `did not exit within ${q.waitedMs} ms after SIGTERM` : 'ignores SIGTERM'}. ${e(q.title)}` : e(q.title);
    const why = q.detail
      .split('\n')
      .filter(Boolean)
      .map((l) => `  - ${e(l)}`)
      .join('\n');
    out.note(`${head}\n${why}\n`);
    if (yes) {
      out.note(`${e(q.action)}: yes (--yes)\n`);
      return true;
    }
    if (!interactive) {
      out.note('  not sent: no terminal to ask on (use --yes)\n');
      return false;
    }
    if (!rl) {
      rl = readline.createInterface({ input: process.stdin, terminal: false });
      rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)));
      rl.on('close', () => {
        closed = true;
        for (const w of waiting.splice(0)) w(null);
      });
    }
    out.note(`${e(q.action)}? [y/N] `);
    const a = await nextLine();
    return a !== null && /^\s*y(es)?\s*$/i.test(a);
  };
  return { ask, close: () => rl?.close() };
}

export async function run(argv: string[], out: Output): Promise<number> {
  const p = parseOptions(argv, OPTIONS, 1);
  if (p.flags.has('help')) {
    out.text(portHelp());
    return 0;
  }
  if (p.positional.length !== 1) throw new UsageError(PORT_USAGE);
  const port = parseInteger('port', p.positional[0], 1, 65535, 'PORT')!;
  const protoText = p.values.get('protocol');
  if (protoText !== undefined && protoText !== 'tcp' && protoText !== 'udp') throw new UsageError(`option --protocol must be tcp or udp`);
  const protocol = protoText as Protocol | undefined;
  const timeout = parseInteger('signal-timeout', p.values.get('signal-timeout'), 0, 600000);
  if (!p.flags.has('free') && (timeout !== undefined || p.flags.has('yes'))) throw new UsageError('--signal-timeout and --yes go with --free');
  const useNative = p.flags.has('no-native') ? false : undefined;
  const json = p.flags.has('json');

  const { snapshot, listeners, udpLite } = await findListeners(port, { protocol, snapshot: { useNative, oneShot: true } });
  const own = ownNetns();
  if (!p.flags.has('free')) {
    if (json) out.data(safeJson({ port, protocol: protocol ?? null, listeners, udpLite }, 2) + '\n');
    else out.text(renderListeners(port, listeners, own, protocol, snapshot, udpLite));
    // a UDP-Lite socket alone: nothing holds the port a TCP or UDP server would bind
    return listeners.length > 0 ? 0 : 1;
  }
  if (!json) out.text(renderListeners(port, listeners, own, protocol, snapshot, udpLite));
  if (listeners.length === 0) {
    // nothing to stop: the port is tested as after a stop, with a bind of the IPv4 wildcard here (a
    // socket bound to it and not listening, a connection's local end, still makes it busy)
    const result = await testIdlePort(port, snapshot, protocol);
    for (const r of result.bind) {
      const line = eventLine({ type: 'bind', result: r });
      if (line) (json ? out.note : out.text).call(out, line + '\n');
    }
    const free = result.free;
    if (json) out.data(safeJson(result, 2) + '\n');
    else out.text(summary(result));
    return free === true ? 0 : 1;
  }
  const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY;
  const origins = await sessionOrigins();
  const questions = asker(out, p.flags.has('yes'), interactive);
  const result = await freePort(
    port,
    listeners,
    snapshot.processes,
    {
      confirm: questions.ask,
      onEvent: (ev) => {
        const line = eventLine(ev);
        if (!line) return;
        if (json) out.note(line + '\n');
        else out.text(line + '\n');
      },
    },
    {
      signalTimeoutMs: timeout,
      euid: currentEuid(),
      origin: (pid) => origins.origin(pid),
      ...(useNative === false ? { native: null } : {}),
      snapshot: { useNative, oneShot: true },
    },
  );
  questions.close();
  if (json) out.data(safeJson(result, 2) + '\n');
  else out.text(summary(result));
  return result.free === true ? 0 : 1;
}
