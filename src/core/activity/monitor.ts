// ActivityMonitor: the one object the CLI and the extension use for live activity. It starts the
// tracer when it can run (and the caller did not turn it off), reads it (counters drained since the
// previous read, signals into the log), and joins the counters to a snapshot's channel ids; where
// the tracer cannot run it derives rates from queue-depth changes between snapshots instead and
// says so in `capability` (source `queue-depth`, with the reason). One monitor per process reads
// the tracer: a read drains the kernel's counters for everyone in the process.
import * as fs from 'node:fs';
import type { ActivityCapability, Snapshot, SnapshotDiff } from '../model';
import { joinCounters, counterRows, mergeRows, otherMqLookup, type ChannelSource, type CounterRow } from './join';
import { DepthTracker, depthActivity } from './queueDepth';
import { SignalLog, SIGNAL_LOG_SIZE } from './signalLog';
import {
  TRACER_DEADLINE_MS, programsOf, readTracer, signalRecords, startTracer, stopTracer, tracerAddon, tracerDisabledByEnv,
  type TracerAddon, type TracerLostTotals, type TracerParts, type TracerStatus,
} from './tracer';
import type { ActivitySample, LostEvents, SignalEvent } from './types';
import { posixIdTail } from '../posixNames';

export interface ActivityMonitorOptions {
  /** `auto` (default): the tracer when it can run here; `off`: queue-depth rates only. IPC_INSPECTOR_TRACER=off also turns it off. */
  tracer?: 'auto' | 'off';
  /** What to trace (default: everything). `signals --follow` asks for signals only, which costs the machine far less. */
  parts?: TracerParts;
  signalLogSize?: number;
  /** Kernel BTF to relocate against (default /sys/kernel/btf/vmlinux; IPC_INSPECTOR_BTF). */
  btfPath?: string;
  /** Deadline of one tracer call (ms). */
  deadlineMs?: number;
  /** The addon (tests inject; null = none). Default: the BPF addon beside the main one. */
  addon?: TracerAddon | null;
  /** poll() decodes and returns every signal, even those the bounded log cannot keep (`signals --follow` prints them all). */
  decodeAll?: boolean;
}

const ALL_PARTS: Required<TracerParts> = { pipes: true, sockets: true, signals: true };
const NO_LOST: TracerLostTotals = { counterMapFull: 0, signalRingFull: 0, mqNameMapFull: 0, signalQueueFull: 0, recursion: 0 };

function lostEvents(a: TracerLostTotals, b: TracerLostTotals): LostEvents {
  const d = (k: keyof TracerLostTotals) => Math.max(0, a[k] - b[k]);
  const out = { counterMapFull: d('counterMapFull'), signalRingFull: d('signalRingFull'), signalQueueFull: d('signalQueueFull'), mqNameMapFull: d('mqNameMapFull'), recursion: d('recursion') };
  return { ...out, total: out.counterMapFull + out.signalRingFull + out.signalQueueFull + out.recursion };
}

/** This process's IPC namespace inode number (SysV ids and POSIX queue names are per namespace). */
export function ownIpcNamespace(): number {
  try {
    const m = /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/ipc'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export class ActivityMonitor {
  readonly signals: SignalLog;
  /** What runs and why not (updated by start()). */
  capability: ActivityCapability = { source: 'queue-depth', tracerAvailable: false, reason: 'not started' };

  private readonly parts: Required<TracerParts>;
  private readonly addon: TracerAddon | null;
  private readonly addonError: string | undefined;
  private readonly deadlineMs: number;
  private started = false;
  private tracing = false;
  private starting: Promise<ActivityCapability> | undefined;
  private reading: Promise<SignalEvent[]> | undefined;
  private pending = new Map<string, CounterRow>();
  /** Names of the POSIX queues counted in `pending` (`ino/dev` → name), from the reads since the last sample. */
  private readonly mqNames = new Map<string, string>();
  private readonly ipcNs = ownIpcNamespace();
  /** When the counters in `pending` started (performance.now()). */
  private since = 0;
  private lostAtStart: TracerLostTotals = NO_LOST;
  private lostAtSample: TracerLostTotals = NO_LOST;
  private lostNow: TracerLostTotals = NO_LOST;
  private prev: { snapshot: Snapshot; at: number } | undefined;
  private depth: { tracker: DepthTracker; at: number } | undefined;
  /** The last read's failure, if any (the sample carries it too). */
  lastError: string | undefined;

  constructor(private readonly opts: ActivityMonitorOptions = {}) {
    this.parts = { ...ALL_PARTS, ...(opts.parts ?? {}) } as Required<TracerParts>;
    this.signals = new SignalLog(opts.signalLogSize ?? SIGNAL_LOG_SIZE);
    this.deadlineMs = opts.deadlineMs ?? TRACER_DEADLINE_MS;
    if (opts.addon !== undefined) {
      this.addon = opts.addon;
      this.addonError = opts.addon ? undefined : 'no tracer (none given)';
    } else {
      const l = tracerAddon();
      this.addon = l.addon;
      this.addonError = l.error;
    }
  }

  /** Events lost since start(), as of the last read. */
  get lostTotal(): LostEvents {
    return lostEvents(this.lostNow, this.lostAtStart);
  }

  /** Entries it keeps between samples (the soak bench's figures: none may grow with what is gone). */
  sizes(): Record<string, number> {
    return { pending: this.pending.size, mqNames: this.mqNames.size, depthChannels: this.depth?.tracker.size ?? 0, signalLog: this.signals.size };
  }

  /** The tracer is attached (rates are counted, signals logged). */
  get traced(): boolean {
    return this.tracing;
  }

  /** Starts the tracer (once; later calls return the same capability). Never throws: a failure is the fallback, with its reason. */
  start(): Promise<ActivityCapability> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<ActivityCapability> {
    this.started = true;
    this.since = performance.now();
    const off = this.opts.tracer === 'off' ? 'turned off' : tracerDisabledByEnv();
    if (off || !this.addon) {
      const available = !!this.addon && this.addon.tracerCheck(this.btf()).ok;
      this.capability = { source: 'queue-depth', tracerAvailable: available, reason: `tracer: ${off ?? this.addonError ?? 'not available'}` };
      return this.capability;
    }
    let status: TracerStatus;
    try {
      status = await startTracer(this.addon, this.parts, this.btf().btfPath, this.deadlineMs);
    } catch (e) {
      this.capability = { source: 'queue-depth', tracerAvailable: false, reason: `tracer: start failed: ${(e as Error).message}` };
      return this.capability;
    }
    if (!status.ok) {
      this.capability = { source: 'queue-depth', tracerAvailable: false, reason: `tracer: ${status.reason ?? status.code ?? 'did not load'}` };
      return this.capability;
    }
    const programs = programsOf(status);
    const wanted = Object.entries(programs).filter(([, p]) => this.parts[p.part]);
    if (!wanted.some(([, p]) => p.attached)) {
      await stopTracer(this.addon, this.parts, this.deadlineMs).catch(() => undefined);
      this.capability = { source: 'queue-depth', tracerAvailable: false, reason: `tracer: no program attached: ${wanted.map(([n, p]) => `${n}: ${p.error ?? '?'}`).join('; ')}`, programs };
      return this.capability;
    }
    this.tracing = true;
    const missing = wanted.filter(([, p]) => !p.attached);
    this.capability = {
      source: 'bpf',
      tracerAvailable: true,
      ...(missing.length ? { reason: `not traced: ${missing.map(([n, p]) => `${n} (${p.attachPoint}): ${p.error ?? 'not attached'}`).join('; ')}` } : {}),
      programs,
    };
    // Whatever the tracer counted before this monitor (another user in this process) is not ours.
    try {
      const r = await readTracer(this.addon, this.deadlineMs);
      this.lostAtStart = this.lostAtSample = this.lostNow = r.lost;
    } catch {
      /* the next read says it */
    }
    this.since = performance.now();
    return this.capability;
  }

  private btf(): { btfPath?: string } {
    const p = this.opts.btfPath ?? process.env.IPC_INSPECTOR_BTF;
    return p ? { btfPath: p } : {};
  }

  /** Detaches what this monitor attached (the program stays loaded for a later start). */
  async stop(): Promise<void> {
    const wasTracing = this.tracing;
    this.tracing = false;
    this.started = false;
    this.starting = undefined;
    this.prev = undefined;
    if (wasTracing && this.addon) await stopTracer(this.addon, this.parts, this.deadlineMs).catch(() => undefined);
  }

  /** Reads the tracer now: new signals go into the log (and are returned); counters wait for the next sample(). One read at a time. */
  poll(): Promise<SignalEvent[]> {
    if (!this.tracing || !this.addon) return Promise.resolve([]);
    this.reading ??= this.doPoll().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async doPoll(): Promise<SignalEvent[]> {
    const r = await readTracer(this.addon!, this.deadlineMs);
    if (!r.ok) throw Object.assign(new Error(`tracer read: ${r.reason ?? r.code}`), { code: r.code });
    mergeRows(this.pending, counterRows(r.counters));
    // as the snapshot's ids have them: `bytes/HEX` for a name that is not UTF-8 (its text would be another queue's)
    // (a string from a BPF addon built before names came as bytes: kept as it is, lossy as it was)
    for (const m of r.mqNames) this.mqNames.set(`${m.ino}/${m.dev}`, typeof m.name === 'string' ? m.name : posixIdTail(m.name));
    this.lostNow = r.lost;
    // in a storm larger than the log only its newest entries are decoded (the rest would be pushed
    // out at once; they are counted as evicted) — unless the caller prints every one (`signals`)
    const n = r.signals.timeMs.length;
    const from = this.opts.decodeAll ? 0 : Math.max(0, n - this.signals.capacity);
    this.signals.skip(from);
    return this.signals.addRecords(signalRecords(r.signals, from));
  }

  /**
   * Rates since the previous sample, joined to `snapshot` (the channels and peers they belong to).
   * Tracer: counted in the kernel. Fallback: the queue-depth change from the previous snapshot
   * given here (the first sample of a fallback monitor has no channels).
   * `hints` let a caller that keeps its own index avoid O(channels) work per sample: `channel`
   * looks a channel up by id (instead of indexing the snapshot), `diff` is the change from the
   * previous snapshot given (the fallback then looks only at changed channels).
   */
  async sample(snapshot: Snapshot | null, hints: { channel?: (id: string) => Snapshot['channels'][number] | undefined; diff?: SnapshotDiff } = {}): Promise<ActivitySample> {
    if (!this.started) await this.start();
    const at = new Date();
    if (this.tracing) {
      let error: string | undefined;
      try {
        await this.poll();
        this.lastError = undefined;
      } catch (e) {
        error = (e as Error).message;
        this.lastError = error;
      }
      const now = performance.now();
      const intervalMs = now - this.since;
      this.since = now;
      const rows = this.pending;
      this.pending = new Map();
      const source: ChannelSource = hints.channel ?? snapshot;
      const j = joinCounters(rows.values(), source, intervalMs, { ipcNs: this.ipcNs, mqNames: this.mqNames, otherMq: otherMqLookup(snapshot) });
      // every read names the queues it counted: a name is needed only until its rows are joined
      // (kept, a machine that makes and removes queues grew this by every queue it ever made)
      this.mqNames.clear();
      const lost = lostEvents(this.lostNow, this.lostAtSample);
      this.lostAtSample = this.lostNow;
      return {
        at: at.toISOString(),
        intervalMs,
        source: 'bpf',
        channels: j.channels,
        pairs: j.pairs,
        unmatched: j.unmatched,
        lost,
        lostTotal: lostEvents(this.lostNow, this.lostAtStart),
        capability: this.capability,
        ...(error ? { error } : {}),
      };
    }
    const none = lostEvents(NO_LOST, NO_LOST);
    const base = { at: at.toISOString(), source: 'queue-depth' as const, unmatched: { bytes: 0, ops: 0, counters: 0 }, lost: none, lostTotal: none, capability: this.capability };
    const takenAt = snapshot ? Date.parse(snapshot.takenAt) : NaN;
    if (snapshot && hints.diff) {
      const now = Number.isFinite(takenAt) ? takenAt : at.getTime();
      const first = !this.depth || hints.diff.fromTakenAt === null;
      const intervalMs = first ? 0 : Math.max(0, now - this.depth!.at);
      this.depth ??= { tracker: new DepthTracker(), at: now };
      const d = this.depth.tracker.update(hints.diff, intervalMs);
      this.depth.at = now;
      return { ...base, intervalMs, channels: d.channels, pairs: d.pairs };
    }
    this.depth = undefined; // a diff-less sample: the diff-fed tracker would be behind
    const prev = this.prev;
    if (snapshot) this.prev = { snapshot, at: Number.isFinite(takenAt) ? takenAt : at.getTime() };
    if (!snapshot || !prev) return { ...base, intervalMs: 0, channels: Object.create(null) as ActivitySample['channels'], pairs: [] };
    const intervalMs = Math.max(0, this.prev!.at - prev.at);
    const d = depthActivity(prev.snapshot, snapshot, intervalMs);
    return { ...base, intervalMs, channels: d.channels, pairs: d.pairs };
  }
}
