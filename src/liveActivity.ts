// Live activity in the extension host: owns core's ActivityMonitor and the signal log, and the
// `ipcInspector.liveActivity` setting (off | ask | on). The eBPF tracer counts every write, send
// and signal on the machine — kernel-wide, with root or CAP_BPF+CAP_PERFMON, capabilities that let
// a program read kernel memory — so it is never started without the user's yes: with `ask` (the
// default) the user is asked the first time something needs it (the Signals view opens). Without
// it rates still come, from queue-depth changes between snapshots, marked as estimates, and the
// views say what the tracer would add and how to enable it.
//
// The tracer is attached only while someone looks: a visible IPC Inspector view (snapshots
// arriving) or the Signals view; 30 s after the last, it is detached (the signal log stays).
// Reads are promises settled on the addon's worker threads; only the join to the snapshot (a few
// thousand counters at most) runs here.
import * as vscode from 'vscode';
import { ActivityMonitor } from './core/activity/monitor';
import { SignalLog } from './core/activity/signalLog';
import type { ActivitySample, SignalEvent } from './core/activity/types';
import type { ActivityCapability, Channel, Snapshot, SnapshotDiff } from './core/model';
import type { SnapshotSource } from './snapshotSource';
import type { Ui } from './ui';

export type LiveActivitySetting = 'off' | 'ask' | 'on';
export const LIVE_ACTIVITY_SETTING = 'liveActivity';

/** What the views say about the tracer (context key `ipcInspector.liveActivity` has the same values). */
export type LiveActivityState = 'off' | 'ask' | 'declined' | 'starting' | 'running' | 'unavailable' | 'idle';

/** How long the tracer stays attached after nothing looks any more (ms). */
const IDLE_DETACH_MS = 30_000;
/** How often signals are read while the Signals view is visible (ms). */
const SIGNAL_POLL_MS = 500;

export interface LiveActivityChange {
  sample?: ActivitySample;
  signals: readonly SignalEvent[];
}

export class LiveActivity implements vscode.Disposable {
  /** Every signal seen while the tracer ran in this window, oldest first (survives detaching). */
  readonly signals = new SignalLog();
  /** The latest rates (tracer or queue-depth), joined to the latest snapshot. */
  latest: ActivitySample | undefined;
  state: LiveActivityState = 'idle';
  /** Why the tracer does not run (shown in the views). */
  reason = '';
  /** The Signals view's entries as shown (filtered, newest first); set by its registration. */
  signalView: { visible(): SignalEvent[] } | undefined;
  private monitor: ActivityMonitor | undefined;
  private monitorIsTracer = false;
  private switching: Promise<void> | undefined;
  private asked = false;
  private signalViewVisible = false;
  private lastDemand = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private sampling = false;
  private missedDiff = false;
  private disposed = false;
  private readonly emitter = new vscode.EventEmitter<LiveActivityChange>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    source: SnapshotSource,
    private readonly ui: Ui,
    private readonly log: vscode.LogOutputChannel,
    /** The views' channel index (kept up to date from diffs): the join then costs O(counted channels). */
    private readonly channelById?: (id: string) => Channel | undefined,
  ) {
    this.disposables.push(
      this.emitter,
      source.onDidUpdate(({ snapshot, diff }) => this.onSnapshot(snapshot, diff)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`ipcInspector.${LIVE_ACTIVITY_SETTING}`)) {
          if (this.setting() === 'ask') this.asked = false; // set back to ask: ask again next time
          void this.reconcile();
        }
      }),
    );
    this.setState(this.setting() === 'off' ? 'off' : this.setting() === 'ask' ? 'ask' : 'idle');
  }

  setting(): LiveActivitySetting {
    const v = vscode.workspace.getConfiguration('ipcInspector').get<string>(LIVE_ACTIVITY_SETTING, 'ask');
    return v === 'off' || v === 'on' ? v : 'ask';
  }

  /** What the capability of the running monitor says (or would say). */
  get capability(): ActivityCapability | undefined {
    return this.monitor?.capability;
  }

  get tracing(): boolean {
    return this.monitorIsTracer && this.monitor?.traced === true;
  }

  /** The Signals view became visible or hidden. Visible: a reason to ask for and run the tracer. */
  setSignalViewVisible(visible: boolean): void {
    this.signalViewVisible = visible;
    if (visible) {
      this.demand();
      void this.askIfNeeded();
    }
    this.schedulePoll();
  }

  /**
   * The user chose (Enable / Disable Live Activity): no question from now on, also not from a view
   * that opens before the setting's write arrives (it would sit in the corner, stale).
   */
  chosen(): void {
    this.asked = true;
  }

  /** Someone needs the tracer now (the Signals view, the topology map): asks when the setting is `ask`. */
  async requestTracer(): Promise<boolean> {
    this.demand();
    await this.askIfNeeded(true);
    await this.reconcile();
    return this.tracing;
  }

  private demand(): void {
    this.lastDemand = Date.now();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.checkIdle(), IDLE_DETACH_MS);
    void this.reconcile();
  }

  private checkIdle(): void {
    this.idleTimer = undefined;
    if (this.disposed) return;
    if (this.signalViewVisible || Date.now() - this.lastDemand < IDLE_DETACH_MS) {
      this.idleTimer = setTimeout(() => this.checkIdle(), IDLE_DETACH_MS);
      return;
    }
    void this.switchTo(undefined);
  }

  private async askIfNeeded(force = false): Promise<void> {
    if (this.setting() !== 'ask' || (this.asked && !force)) return;
    this.asked = true;
    const enable = 'Enable';
    const notNow = 'Not Now';
    const never = 'Never';
    const answer = await this.ui.info(
      'IPC Inspector: enable live activity? An eBPF tracer counts every pipe write, socket send and message on this machine and logs every signal (who sent it to whom). ' +
        'It needs root or CAP_BPF+CAP_PERFMON — capabilities that let a program read kernel memory — and adds about a microsecond to each traced write while it runs.',
      enable,
      notNow,
      never,
    );
    const cfg = vscode.workspace.getConfiguration('ipcInspector');
    if (answer === enable) await cfg.update(LIVE_ACTIVITY_SETTING, 'on', vscode.ConfigurationTarget.Global);
    else if (answer === never) await cfg.update(LIVE_ACTIVITY_SETTING, 'off', vscode.ConfigurationTarget.Global);
    else this.setState('declined');
  }

  /** Runs the monitor the setting and the demand call for: the tracer (on), queue depths (otherwise). */
  reconcile(): Promise<void> {
    const wantTracer = this.setting() === 'on';
    const looking = this.signalViewVisible || Date.now() - this.lastDemand < IDLE_DETACH_MS;
    if (!looking) return this.switchTo(undefined);
    if (this.monitor && this.monitorIsTracer === wantTracer) return Promise.resolve();
    return this.switchTo(wantTracer ? 'tracer' : 'depth');
  }

  private switchTo(kind: 'tracer' | 'depth' | undefined): Promise<void> {
    const run = async () => {
      if (this.disposed) return;
      const cur = this.monitor ? (this.monitorIsTracer ? 'tracer' : 'depth') : undefined;
      if (cur === kind) return;
      const old = this.monitor;
      this.monitor = undefined;
      this.monitorIsTracer = false;
      if (old) {
        // what the tracer read before detaching is kept
        await old.poll().then((e) => this.signals.push(e), () => undefined);
        await old.stop();
      }
      if (!kind) {
        this.setState(this.setting() === 'off' ? 'off' : this.setting() === 'ask' && !this.asked ? 'ask' : 'idle');
        this.schedulePoll();
        return;
      }
      const m = new ActivityMonitor({ tracer: kind === 'tracer' ? 'auto' : 'off' });
      if (kind === 'tracer') this.setState('starting');
      const cap = await m.start();
      if (this.disposed) {
        await m.stop();
        return;
      }
      this.monitor = m;
      this.monitorIsTracer = kind === 'tracer';
      if (kind === 'tracer') {
        if (cap.source === 'bpf') {
          this.reason = cap.reason ?? '';
          this.setState('running');
          this.log.info(`live activity: eBPF tracer attached${cap.reason ? ` (${cap.reason})` : ''}`);
        } else {
          this.reason = cap.reason ?? 'the tracer did not start';
          this.setState('unavailable');
          this.log.warn(`live activity: ${this.reason}; rates come from queue depths`);
        }
      } else {
        this.reason = '';
        this.setState(this.setting() === 'off' ? 'off' : this.setting() === 'ask' ? (this.asked ? 'declined' : 'ask') : 'idle');
      }
      this.schedulePoll();
    };
    const next = (this.switching ?? Promise.resolve()).then(run, run);
    this.switching = next.finally(() => {
      if (this.switching === next) this.switching = undefined;
    });
    return next;
  }

  private setState(s: LiveActivityState): void {
    this.state = s;
    void vscode.commands.executeCommand('setContext', 'ipcInspector.liveActivity', s);
    this.emitter.fire({ signals: [] });
  }

  private onSnapshot(snapshot: Snapshot, diff: SnapshotDiff): void {
    this.demand();
    const m = this.monitor;
    if (!m) return;
    if (this.sampling) {
      // the tracer's counters wait for the next sample; the queue-depth fallback needs every diff
      this.missedDiff = true;
      return;
    }
    this.sampling = true;
    // after a skipped diff the depth tracker's state is behind: compare whole snapshots once
    const hints = this.missedDiff ? { channel: this.channelById } : { channel: this.channelById, diff };
    this.missedDiff = false;
    m.sample(snapshot, hints)
      .then((sample) => {
        if (this.disposed || m !== this.monitor) return;
        this.latest = sample;
        if (sample.lost.total > 0) this.log.warn(`live activity: ${sample.lost.total} events lost in the last interval (${JSON.stringify(sample.lost)})`);
        const added = this.takeSignals(m);
        this.emitter.fire({ sample, signals: added });
      })
      .catch((e) => this.log.warn(`live activity: ${(e as Error).message}`))
      .finally(() => (this.sampling = false));
  }

  /** Moves what the monitor's log gained into ours (ours outlives monitors). */
  private takeSignals(m: ActivityMonitor): SignalEvent[] {
    const fresh = m.signals.all();
    m.signals.clear();
    this.signals.push(fresh);
    return fresh;
  }

  private schedulePoll(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (this.disposed || !this.signalViewVisible || !this.tracing) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      const m = this.monitor;
      if (!m || !this.tracing) return;
      m.poll()
        .then(() => {
          if (m !== this.monitor) return;
          const added = this.takeSignals(m);
          if (added.length) this.emitter.fire({ signals: added });
        })
        .catch((e) => this.log.warn(`live activity: ${(e as Error).message}`))
        .finally(() => this.schedulePoll());
    }, SIGNAL_POLL_MS);
  }

  /** One line for the views: what runs, and how to get more. */
  describe(): string {
    switch (this.state) {
      case 'running':
        return `Live activity: eBPF tracer running${this.reason ? ` (${this.reason})` : ''}.`;
      case 'starting':
        return 'Live activity: starting the eBPF tracer…';
      case 'unavailable':
        return `The eBPF tracer cannot run here — ${this.reason}. Rates are estimated from queue depths and there is no signal log. To enable it, run the VS Code server as root, or start it with the ambient capabilities bpf and perfmon (setpriv, see the README; not setcap on node).`;
      case 'off':
        return 'Live activity is off (ipcInspector.liveActivity): rates are estimated from queue depths, and signals are not logged. Set it to "on" for the eBPF tracer.';
      case 'ask':
      case 'declined':
        return 'The signal log needs the eBPF tracer, which is not enabled: rates are estimated from queue depths. Run "IPC Inspector: Enable Live Activity" to turn it on.';
      default:
        return 'Live activity starts when an IPC Inspector view is visible.';
    }
  }

  /**
   * The measured rates as the topology map takes them (its RateFeed): only what the tracer
   * counted — the map estimates queue-depth rates itself from the snapshots it draws.
   */
  rateFeed(): { current(): ReadonlyMap<string, { bytesPerSec: number; opsPerSec: number; source: 'tracer' }>; readonly onDidChange: vscode.Event<void>; readonly note?: string } {
    const latest = () => this.latest;
    const why = () => `live activity: ${this.state}${this.reason ? `: ${this.reason}` : ''}`;
    const changes = this.onDidChange;
    let cached: { sample: ActivitySample | undefined; map: Map<string, { bytesPerSec: number; opsPerSec: number; source: 'tracer' }> } | undefined;
    return {
      current() {
        const l = latest();
        const sample = l?.source === 'bpf' ? l : undefined;
        if (cached && cached.sample === sample) return cached.map;
        const map = new Map<string, { bytesPerSec: number; opsPerSec: number; source: 'tracer' }>();
        if (sample) for (const c of Object.values(sample.channels)) map.set(c.channelId, { bytesPerSec: c.bytesPerSec, opsPerSec: c.opsPerSec, source: 'tracer' });
        cached = { sample, map };
        return map;
      },
      onDidChange: (listener, thisArg, disposables) => changes(() => listener.call(thisArg, undefined), undefined, disposables),
      get note() {
        return latest()?.source === 'bpf' ? undefined : `rates estimated from queue depths between snapshots (${why()})`;
      },
    };
  }

  dispose(): void {
    this.disposed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const m = this.monitor;
    this.monitor = undefined;
    void m?.stop();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
