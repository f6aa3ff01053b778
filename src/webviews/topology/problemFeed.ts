// The diagnosis problems the map marks. The live poller's scans do not run the diagnosis rules
// (the views did not need them), so while the map is open this feed runs its own SnapshotService
// with `diagnose: true` — the scan and the rules in a worker thread, never on this thread — at a
// slower pace than the views' refresh. When the poller's updates carry a diagnosis themselves
// (`SnapshotUpdate.diagnosis`, once the views run the rules), `useExternal` takes those and the
// feed's own service is stopped. Its note (the map's status tooltip) says which diagnosis the map
// shows, not counts: the map counts what the Problems view lists itself (core/topology), and this
// diagnosis's own counts — machine-wide when the map scans alone — would contradict it.
import * as vscode from 'vscode';
import { oneLine } from '../../core/escape';
import type { Diagnosis } from '../../core/diagnose/problem';
import type { TopoProblem } from '../../core/topology/types';

/** What the feed needs of core's SnapshotService (injectable for tests). */
export interface DiagnosingService {
  next(): Promise<{ diagnosis?: Diagnosis }>;
  dispose(): void;
}

/** Problems sent to the map at most (the diagnosis caps each rule at 100). */
export const MAX_PROBLEMS = 1000;
const MAX_IDS = 64;

export function toTopoProblems(d: Diagnosis): TopoProblem[] {
  return d.problems.slice(0, MAX_PROBLEMS).map((p) => ({
    id: oneLine(p.id, 300),
    severity: p.severity,
    title: oneLine(p.title, 300),
    channels: p.channels.slice(0, MAX_IDS),
    pids: p.pids.slice(0, MAX_IDS),
  }));
}

export class ProblemFeed implements vscode.Disposable {
  private service: DiagnosingService | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private external = false;
  private disposed = false;
  private last = '';
  problems: TopoProblem[] = [];
  note = 'diagnosis not run yet';
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly createService: () => DiagnosingService,
    private readonly intervalMs: () => number,
    private readonly log: { warn(m: string): void },
    /** Do the views diagnose (setting ipcInspector.diagnose)? When not, the Problems view lists nothing while the map shows its own scan's problems. */
    private readonly viewsDiagnose: () => boolean = () => true,
  ) {}

  /** Diagnose while the map is visible; stop (and free the worker) while it is not. */
  setActive(active: boolean): void {
    if (this.disposed || this.external) return;
    if (active && !this.running) {
      this.running = true;
      this.schedule(0);
    } else if (!active && this.running) {
      this.running = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.service?.dispose();
      this.service = undefined;
    }
  }

  /** The poller's update carried a diagnosis: use it, stop our own scans for good. */
  useExternal(d: Diagnosis): void {
    if (!this.external) {
      this.setActive(false);
      this.external = true;
    }
    this.accept(d);
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running || this.disposed) return;
    const service = (this.service ??= this.createService());
    try {
      const r = await service.next();
      if (r.diagnosis && this.running) this.accept(r.diagnosis);
    } catch (e) {
      // stopped on purpose while it scanned (the map hidden, or the views' updates took over:
      // useExternal disposes the service): no failure to report
      if (!this.running || this.disposed || this.service !== service) return;
      const msg = e instanceof Error ? e.message : String(e);
      this.log.warn(`topology: diagnosis failed: ${msg}`);
      this.setNote(`diagnosis failed: ${oneLine(msg, 200)}`);
    }
    if (this.running) this.schedule(Math.max(3000, 2 * this.intervalMs()));
  }

  private accept(d: Diagnosis): void {
    const problems = toTopoProblems(d);
    const at = new Date(Date.parse(d.takenAt)).toLocaleTimeString();
    const note = this.external
      ? `diagnosis of ${at}, the views' own`
      : this.viewsDiagnose()
        ? `diagnosis of ${at}, the map's own scan`
        : `diagnosis of ${at}, the map's own scan: the views' diagnosis is off (setting ipcInspector.diagnose), so the Problems view lists none`;
    const key = JSON.stringify(problems);
    this.note = note;
    if (key === this.last) return;
    this.last = key;
    this.problems = problems;
    this.emitter.fire();
  }

  private setNote(note: string): void {
    if (note === this.note) return;
    this.note = note;
    this.emitter.fire();
  }

  dispose(): void {
    this.disposed = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.service?.dispose();
    this.service = undefined;
    this.emitter.dispose();
  }
}
