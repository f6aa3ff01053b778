// The tracer's interface in the BPF addon (native/src/bpf/tracer.cc) and what core asks of it:
// can it run here, start/stop its parts, read it with a deadline. The addon returns facts (raw
// counters keyed by kernel identities, raw signal records, lost totals); the join to channel ids
// and every decision live in TypeScript (join.ts, signalLog.ts, monitor.ts).
import { isUtf8 } from 'node:buffer';
import type { ActivityCapability, ActivityProgram } from '../model';
import { withDeadline } from '../deadline';
import { loadBpf, type BpfAddon } from '../native';

/** The kinds of ipci_act_kind (native/bpf/tracer.h). */
export const enum TracerKind {
  Pipe = 1,
  Fifo = 2,
  Unix = 3,
  Tcp = 4,
  Udp = 5,
  SysvMsg = 6,
  PosixMq = 7,
}
export const DIR_SEND = 0;
export const DIR_RECV = 1;

export interface TracerParts {
  /** sys_exit: pipes, FIFOs, SysV and POSIX message queues. */
  pipes?: boolean;
  /** sock_send_length / sock_recv_length: Unix, TCP, UDP. */
  sockets?: boolean;
  /** signal_generate. */
  signals?: boolean;
}

export interface TracerProgramStatus {
  attachPoint: string;
  part: 'pipes' | 'sockets' | 'signals';
  loaded: boolean;
  loadError?: string;
  attached: boolean;
  attachError?: string;
  /** run_cnt / run_time_ns of the program (counted only while kernel.bpf_stats_enabled=1). */
  runCount: number;
  runTimeNs: number;
  recursionMisses: number;
}

export interface TracerStatus {
  /** Loaded (a load was tried and succeeded). */
  ok: boolean;
  tried: boolean;
  code?: string;
  reason?: string;
  loadMs: number;
  programs: Record<string, TracerProgramStatus>;
  users: Record<'pipes' | 'sockets' | 'signals', number>;
}

/** Counters since the previous read, one row per (channel, process, direction). */
export interface TracerCounters {
  /** TracerKind */
  kind: Uint8Array;
  /** DIR_SEND | DIR_RECV */
  dir: Uint8Array;
  pid: Float64Array;
  /** Inode (pipes, FIFOs, sockets, POSIX queues) or msqid (SysV). */
  ino: Float64Array;
  /** FIFOs: st_dev (user-space encoding); queues: IPC namespace inode number; 0 otherwise. */
  dev: Float64Array;
  bytes: Float64Array;
  ops: Float64Array;
  /** Unix sends: the peer socket's inode (0 = unconnected). */
  peer: Float64Array;
}

export interface TracerSignalRecord {
  timeMs: number;
  senderPid: number;
  senderTid: number;
  senderUid: number;
  senderStart: number;
  senderComm: string;
  /** senderComm's bytes in hex, only when they are not UTF-8 (senderComm then has U+FFFD for the bad bytes), as a process's commBytes. */
  senderCommBytes?: string;
  targetPid: number;
  targetTid: number;
  targetStart: number;
  targetComm: string;
  /** targetComm's bytes in hex, only when they are not UTF-8. */
  targetCommBytes?: string;
  signal: number;
  code: number;
  group: boolean;
  result: number;
  siErrno: number;
  siPid: number;
  siUid: number;
  siValue: number;
  /** 1 = SEND_SIG_NOINFO, 2 = SEND_SIG_PRIV */
  flags: number;
}

/** The signals of one read, in columns (a storm is 100k a second); comms by index into `comms`. */
export interface TracerSignalColumns {
  timeMs: Float64Array;
  senderPid: Float64Array;
  senderTid: Float64Array;
  senderUid: Float64Array;
  senderStart: Float64Array;
  targetPid: Float64Array;
  targetTid: Float64Array;
  targetStart: Float64Array;
  signal: Int32Array;
  code: Int32Array;
  group: Int32Array;
  result: Int32Array;
  siErrno: Int32Array;
  siPid: Float64Array;
  siUid: Float64Array;
  siValue: Int32Array;
  flags: Int32Array;
  senderComm: Int32Array;
  targetComm: Int32Array;
  /** Each name once: text, or its bytes when they are not UTF-8 (text would decode them lossily). */
  comms: Array<string | Uint8Array>;
}

/** A comm as the addon gave it: its text (lossy for bytes that are not UTF-8) and, for such bytes, their hex. */
function commOf(c: string | Uint8Array | undefined): { text: string; hex?: string } {
  if (c === undefined) return { text: '' };
  if (typeof c === 'string') return { text: c };
  const b = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  return isUtf8(b) ? { text: b.toString('utf8') } : { text: b.toString('utf8'), hex: b.toString('hex') };
}

/** The columns as records (from index `from` on). */
export function signalRecords(c: TracerSignalColumns, from = 0): TracerSignalRecord[] {
  const n = c.timeMs.length;
  from = Math.max(0, Math.min(from, n));
  const out: TracerSignalRecord[] = new Array(n - from);
  const comms = c.comms.map(commOf); // a few names for thousands of records
  for (let i = from; i < n; i++) {
    const sender = comms[c.senderComm[i]] ?? { text: '' };
    const target = comms[c.targetComm[i]] ?? { text: '' };
    out[i - from] = {
      timeMs: c.timeMs[i],
      senderPid: c.senderPid[i],
      senderTid: c.senderTid[i],
      senderUid: c.senderUid[i],
      senderStart: c.senderStart[i],
      senderComm: sender.text,
      ...(sender.hex !== undefined ? { senderCommBytes: sender.hex } : {}),
      targetPid: c.targetPid[i],
      targetTid: c.targetTid[i],
      targetStart: c.targetStart[i],
      targetComm: target.text,
      ...(target.hex !== undefined ? { targetCommBytes: target.hex } : {}),
      signal: c.signal[i],
      code: c.code[i],
      group: c.group[i] !== 0,
      result: c.result[i],
      siErrno: c.siErrno[i],
      siPid: c.siPid[i],
      siUid: c.siUid[i],
      siValue: c.siValue[i],
      flags: c.flags[i],
    };
  }
  return out;
}

export interface TracerLostTotals {
  counterMapFull: number;
  signalRingFull: number;
  mqNameMapFull: number;
  signalQueueFull: number;
  recursion: number;
}

export interface TracerRead {
  ok: boolean;
  code?: string;
  reason?: string;
  attached: boolean;
  counters: TracerCounters;
  /** The names of the POSIX queues counted, as the dentry's bytes (a name need not be UTF-8). */
  mqNames: Array<{ ino: number; dev: number; name: Buffer }>;
  signals: TracerSignalColumns;
  /** Totals since the tracer was loaded in this process. */
  lost: TracerLostTotals;
  programs: Record<string, TracerProgramStatus>;
  swapMs: number;
  drainMs: number;
}

export interface TracerAddon {
  tracerCheck(options?: { btfPath?: string }): { ok: boolean; code?: string; reason?: string };
  tracerStart(options: { btfPath?: string; parts: TracerParts }): Promise<TracerStatus>;
  tracerStop(options: { parts: TracerParts }): Promise<TracerStatus>;
  tracerRead(): Promise<TracerRead>;
  tracerStatus(): TracerStatus;
}

export interface TracerLoad {
  addon: TracerAddon | null;
  error?: string;
}

/** The BPF addon, when it has the tracer's entry points (an older build may not). */
export function tracerAddon(bpf: BpfAddon | null | undefined = undefined, bpfError?: string): TracerLoad {
  let addon: BpfAddon | null;
  let error = bpfError;
  if (bpf === undefined) {
    const l = loadBpf();
    addon = l.addon;
    error = l.error;
  } else addon = bpf;
  if (!addon) return { addon: null, error: error ?? 'no BPF addon' };
  const t = addon as unknown as Partial<TracerAddon>;
  if (typeof t.tracerStart !== 'function' || typeof t.tracerRead !== 'function') return { addon: null, error: 'the BPF addon has no tracer (rebuild: npm run build:native)' };
  return { addon: t as TracerAddon };
}

/** `IPC_INSPECTOR_TRACER=off` (or 0) turns the tracer off for this process: rates from queue depths only. */
export function tracerDisabledByEnv(): string | undefined {
  const v = process.env.IPC_INSPECTOR_TRACER;
  return v === 'off' || v === '0' ? 'turned off (IPC_INSPECTOR_TRACER=off)' : undefined;
}

export function programsOf(status: { programs: Record<string, TracerProgramStatus> }): Record<string, ActivityProgram> {
  const out: Record<string, ActivityProgram> = {};
  for (const [name, p] of Object.entries(status.programs)) {
    const error = p.loadError ? `not loaded: ${p.loadError}` : p.attachError ? `not attached: ${p.attachError}` : undefined;
    out[name] = { attachPoint: p.attachPoint, part: p.part, attached: p.attached, ...(error ? { error } : {}) };
  }
  return out;
}

/** What runs in this process, or could: the snapshot's `capabilities.activity` (cheap: no load). */
export function activityCapability(bpf?: BpfAddon | null, bpfError?: string): ActivityCapability {
  const off = tracerDisabledByEnv();
  const { addon, error } = tracerAddon(bpf, bpfError);
  if (!addon) return { source: 'queue-depth', tracerAvailable: false, reason: `tracer: ${error}` };
  const status = addon.tracerStatus();
  const attached = Object.values(status.programs).some((p) => p.attached);
  if (attached) {
    const missing = Object.entries(status.programs).filter(([, p]) => !p.attached && status.users[p.part] > 0);
    return {
      source: 'bpf',
      tracerAvailable: true,
      ...(missing.length ? { reason: missing.map(([n, p]) => `${n} (${p.attachPoint}): ${p.loadError ?? p.attachError ?? 'not attached'}`).join('; ') } : {}),
      programs: programsOf(status),
    };
  }
  if (status.tried && !status.ok) return { source: 'queue-depth', tracerAvailable: false, reason: `tracer: ${status.reason ?? status.code ?? 'failed to load'}` };
  const check = addon.tracerCheck(process.env.IPC_INSPECTOR_BTF ? { btfPath: process.env.IPC_INSPECTOR_BTF } : {});
  if (!check.ok) return { source: 'queue-depth', tracerAvailable: false, reason: `tracer: ${check.reason ?? check.code}` };
  return {
    source: 'queue-depth',
    tracerAvailable: true,
    reason: off
      ? `tracer: ${off}`
      : 'tracer: not started in this process (ipc-inspector top / signals, or the extension with ipcInspector.liveActivity on)',
  };
}

/** Default deadline of one tracer call (a load verifies the programs; a read waits for an RCU grace period). */
export const TRACER_DEADLINE_MS = 10_000;

export function startTracer(addon: TracerAddon, parts: TracerParts, btfPath?: string, ms = TRACER_DEADLINE_MS): Promise<TracerStatus> {
  return withDeadline('tracer start', ms, () => addon.tracerStart({ parts, ...(btfPath ? { btfPath } : {}) }));
}

export function stopTracer(addon: TracerAddon, parts: TracerParts, ms = TRACER_DEADLINE_MS): Promise<TracerStatus> {
  return withDeadline('tracer stop', ms, () => addon.tracerStop({ parts }));
}

export function readTracer(addon: TracerAddon, ms = TRACER_DEADLINE_MS): Promise<TracerRead> {
  return withDeadline('tracer read', ms, () => addon.tracerRead());
}
