// The live poller: implements SnapshotSource over core's SnapshotService (scan in a worker, diff
// applied on the main thread). Polls every `ipcInspector.refreshInterval` ms only while a view is
// visible or someone holds it (an open inspector panel), and not while paused; where one scan
// takes long (three in a row) the wait grows so that scanning takes at most a fifth of the time
// (core/refreshPace).
// Nothing is scanned (nor the service created) before the first demand.

import * as vscode from 'vscode';
import type { Snapshot, SnapshotDiff } from './core/model';
import type { Diagnosis } from './core/diagnose/problem';
import type { SnapshotSource, SnapshotUpdate } from './snapshotSource';
import type { FilterState } from './core/filter';
import { MIN_INTERVAL_MS, nextScanPace, paceText, type ScanPace } from './core/refreshPace';

/** What the poller needs from core's SnapshotService (injectable for tests). */
export interface ScanService {
  next(): Promise<{ diff: SnapshotDiff; snapshot: Snapshot; diagnosis?: Diagnosis }>;
  readonly lastMainThreadMs?: number;
  /** The scan worker's V8 heap, where the runtime can tell (the benchmarks' memory figures). */
  workerHeapStatistics?(): Promise<Record<string, number> | null>;
  /** Entries of the caches the scan worker keeps between scans (the soak bench's figures). */
  workerCacheSizes?(): Promise<Record<string, number> | null>;
  /** How the views are narrowed: the diagnosis lists what they show, before its cap. */
  setDiagnosisNarrowing?(filter: FilterState | null): void;
  dispose(): void;
}

/** The wait stretches only when this many scans in a row were slow (the fastest of them counts). */
const PACE_SCANS = 3;

export interface LiveSnapshotsOptions {
  createService: () => ScanService;
  log: vscode.LogOutputChannel;
  /** Refresh interval in ms (read on every tick so setting changes apply at once). */
  interval: () => number;
}

export interface ScanStats {
  scans: number;
  lastScanMs: number;
  lastMainThreadMs: number;
  maxMainThreadMs: number;
  totalMainThreadMs: number;
  /** Main-thread ms of the listeners (view model, trees, status bar) on the last update. */
  lastListenersMs: number;
  errors: number;
  /** Worker ms the diagnosis took on the last scan (evidence + rules; 0 while it is off). */
  lastDiagnosisMs: number;
}

export class LiveSnapshots implements SnapshotSource, vscode.Disposable {
  private service: ScanService | undefined;
  private narrowing: FilterState | null = null;
  private latest: Snapshot | undefined;
  private inFlight: Promise<Snapshot> | undefined;
  /** The scan that follows the one in flight (refresh: a snapshot begun after the call). */
  private next: Promise<Snapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly visible = new Set<string>();
  private holds = 0;
  private _paused = false;
  private disposed = false;
  private readonly updateEmitter = new vscode.EventEmitter<SnapshotUpdate>();
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  private readonly errorEmitter = new vscode.EventEmitter<Error>();
  readonly onDidUpdate = this.updateEmitter.event;
  /** Fires when paused or active (polling: a view visible or held, not paused) changes. */
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidError = this.errorEmitter.event;
  readonly stats: ScanStats = { scans: 0, lastScanMs: 0, lastMainThreadMs: 0, maxMainThreadMs: 0, totalMainThreadMs: 0, lastListenersMs: 0, errors: 0, lastDiagnosisMs: 0 };
  lastError: Error | undefined;
  /** The wait after the last scan: the setting, or longer when the last scans were all slow (fires onDidChangeState when it starts or stops being longer, or its value changes). */
  private _pace: ScanPace = { delayMs: 0, stretched: false };
  /** Wall time of the last PACE_SCANS scans, ms. */
  private readonly recentScans: number[] = [];

  constructor(private readonly opts: LiveSnapshotsOptions) {}

  /** The scan worker's V8 heap, or null (no service yet, no worker, or an older Node). */
  workerHeap(): Promise<Record<string, number> | null> {
    return this.service?.workerHeapStatistics?.() ?? Promise.resolve(null);
  }

  /** Entries of the caches the scan worker keeps between scans, or null (no service yet, no worker). */
  workerCaches(): Promise<Record<string, number> | null> {
    return this.service?.workerCacheSizes?.() ?? Promise.resolve(null);
  }

  get current(): Snapshot | undefined {
    return this.latest;
  }

  get paused(): boolean {
    return this._paused;
  }

  /** The wait between scans now: the setting, or longer (`stretched`) because the last scans were slow. */
  get pace(): ScanPace {
    return this._pace;
  }

  /** Polling is wanted: a view is visible or held, and not paused. */
  get active(): boolean {
    return !this.disposed && !this._paused && (this.visible.size > 0 || this.holds > 0);
  }

  /** A view (by id) became visible or hidden. */
  setVisible(viewId: string, visible: boolean): void {
    const was = this.active;
    if (visible) this.visible.add(viewId);
    else this.visible.delete(viewId);
    this.reschedule(true);
    if (this.active !== was) this.stateEmitter.fire();
  }

  hold(): vscode.Disposable {
    const was = this.active;
    this.holds++;
    this.reschedule(true);
    if (this.active !== was) this.stateEmitter.fire();
    let released = false;
    return new vscode.Disposable(() => {
      if (released) return;
      released = true;
      const before = this.active;
      this.holds--;
      this.reschedule(false);
      if (this.active !== before && !this.disposed) this.stateEmitter.fire();
    });
  }

  pause(): void {
    if (this._paused) return;
    this._paused = true;
    this.reschedule(false);
    this.stateEmitter.fire();
    this.opts.log.info('live updates paused');
  }

  resume(): void {
    if (!this._paused) return;
    this._paused = false;
    this.reschedule(true);
    this.stateEmitter.fire();
    this.opts.log.info('live updates resumed');
  }

  /**
   * A snapshot begun after this call. A scan already running may have started before what the
   * caller just did (started a server, sent a signal, removed a file): one more follows it,
   * shared by every caller that asks meanwhile.
   */
  refresh(): Promise<Snapshot> {
    if (this.disposed) return Promise.reject(new Error('IPC Inspector is shutting down'));
    if (this.inFlight) {
      return (this.next ??= this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.next = undefined;
          return this.refresh();
        }));
    }
    this.inFlight = this.scan().finally(() => {
      this.inFlight = undefined;
      this.reschedule(false);
    });
    return this.inFlight;
  }

  private async scan(): Promise<Snapshot> {
    const started = performance.now();
    try {
      if (!this.service) {
        this.service = this.opts.createService();
        this.service.setDiagnosisNarrowing?.(this.narrowing);
      }
      const service = this.service;
      const { diff, snapshot, diagnosis } = await service.next();
      if (this.disposed) return snapshot;
      const scanMs = performance.now() - started;
      const mainMs = service.lastMainThreadMs ?? 0;
      this.latest = snapshot;
      // the fastest of the last three: one slow scan (the first, with the worker's start and the
      // BPF load; a burst of load elsewhere) does not stretch the wait, three in a row do; once
      // stretched, the slowest of them: three quick scans end it, not one — scans that hover at
      // the line (50k fds at a 1 s setting) would otherwise flip the pace, and log it, every few scans
      this.recentScans.push(scanMs);
      if (this.recentScans.length > PACE_SCANS) this.recentScans.shift();
      const basis = this.recentScans.length < PACE_SCANS ? 0 : this._pace.stretched ? Math.max(...this.recentScans) : Math.min(...this.recentScans);
      this.setPace(nextScanPace(this.opts.interval(), basis), basis);
      const s = this.stats;
      s.scans++;
      s.lastScanMs = scanMs;
      s.lastMainThreadMs = mainMs;
      s.totalMainThreadMs += mainMs;
      s.lastDiagnosisMs = diagnosis ? diagnosis.evidenceMs + diagnosis.rulesMs : 0;
      const fds = snapshot.channels.reduce((n, c) => n + c.endpoints.length, 0);
      const changes = diff.addedChannels.length + diff.removedChannels.length + diff.changedChannels.length;
      const line =
        `scan #${s.scans}: ${scanMs.toFixed(1)} ms (worker ${Number(snapshot.durationMs).toFixed(1)} ms, ` +
        `main thread ${mainMs.toFixed(2)} ms), ${snapshot.channels.length} channels, ${fds} endpoints, ` +
        `${snapshot.processes.length} processes, ${changes} channel changes` +
        (diagnosis ? `, diagnosis ${s.lastDiagnosisMs.toFixed(1)} ms in the worker (${diagnosis.problems.length} problems)` : '');
      if (s.scans === 1 || changes > 0) this.opts.log.debug(line);
      else this.opts.log.trace(line);
      for (const w of diff.warnings) if (s.scans === 1) this.opts.log.warn(w);
      this.lastError = undefined;
      const t0 = performance.now();
      this.updateEmitter.fire(diagnosis ? { snapshot, diff, diagnosis } : { snapshot, diff });
      s.lastListenersMs = performance.now() - t0;
      s.totalMainThreadMs += s.lastListenersMs;
      s.maxMainThreadMs = Math.max(s.maxMainThreadMs, mainMs + s.lastListenersMs);
      this.opts.log.trace(`views updated in ${s.lastListenersMs.toFixed(2)} ms (main thread total ${(mainMs + s.lastListenersMs).toFixed(2)} ms)`);
      return snapshot;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.stats.errors++;
      // the same failure on every refresh (no scan worker, say) is one error in the log, not one a second
      if (this.lastError?.message === err.message) this.opts.log.debug('scan failed again:', err.message);
      else this.opts.log.error('scan failed:', err);
      this.lastError = err;
      this.errorEmitter.fire(err);
      throw err;
    }
  }

  /**
   * How the views are narrowed (null: not at all), for the diagnosis in the scan worker: it then
   * lists the problems they show before its per-rule cap (not a hundred others of a rule with the
   * asked-for one cut off). Kept for the services created later. Takes effect from the next scan.
   */
  setDiagnosisNarrowing(filter: FilterState | null): void {
    this.narrowing = filter;
    this.service?.setDiagnosisNarrowing?.(filter);
  }

  /**
   * Drops the scan service so that the next scan creates a new one (a setting it is created with
   * changed, e.g. ipcInspector.diagnose); a scan in flight finishes on the old one first.
   */
  recreateService(): void {
    const old = this.service;
    this.service = undefined;
    if (!old) return;
    if (this.inFlight) void this.inFlight.then(() => old.dispose(), () => old.dispose());
    else old.dispose();
    if (this.active) void this.refresh().catch(() => undefined);
  }

  private setPace(pace: ScanPace, scanMs: number): void {
    const was = this._pace;
    this._pace = pace;
    if (pace.stretched === was.stretched && (!pace.stretched || pace.delayMs === was.delayMs)) return;
    if (pace.stretched && !was.stretched) {
      this.opts.log.info(`scans take ${paceText(scanMs)} or more: refreshing every ${paceText(pace.delayMs)} instead of every ${paceText(this.opts.interval())}, so that scanning takes at most a fifth of the time (Refresh scans at once)`);
    } else if (!pace.stretched) this.opts.log.info(`scans are quick again: refreshing every ${paceText(pace.delayMs)}`);
    this.stateEmitter.fire();
  }

  private reschedule(soon: boolean): void {
    if (!this.active) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.inFlight) return; // rescheduled when it settles
    if (this.timer && !soon) return;
    if (this.timer) clearTimeout(this.timer);
    // First scan (nothing yet) runs at once; afterwards one wait after the last one settled: the
    // setting (read now: a change applies at once), or longer while scans are slow.
    const delay = soon && !this.latest ? 0 : this._pace.stretched ? Math.max(this._pace.delayMs, this.opts.interval()) : Math.max(MIN_INTERVAL_MS, this.opts.interval());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // a scan running now (someone asked for one) is this tick's: it reschedules when it settles
      if (this.active && !this.inFlight) this.refresh().catch(() => undefined /* logged */);
    }, delay);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.service?.dispose();
    this.service = undefined;
    this.updateEmitter.dispose();
    this.stateEmitter.dispose();
    this.errorEmitter.dispose();
  }
}

