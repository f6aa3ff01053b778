// How long the live views wait between scans. The setting (ipcInspector.refreshInterval) is the
// shortest wait; on a machine where one scan takes long (hundreds of thousands of fds, thousands
// of processes) the wait grows so that scanning takes at most MAX_SCAN_SHARE of the time — a
// watcher left open in an editor must not keep a core busy for the whole session (at 200k fds a
// scan takes ~0.9 s of wall time and more CPU: a 1 s interval would scan half the time).

/** At most this share of the wall time goes to scanning: the wait after a scan is ≥ scan × (1/share − 1). */
export const MAX_SCAN_SHARE = 0.2;

/** The shortest wait the poller allows, whatever the setting says (package.json's minimum too). */
export const MIN_INTERVAL_MS = 250;

export interface ScanPace {
  /** Wait before the next scan, ms. */
  delayMs: number;
  /** The wait is longer than the setting asks, because scans are slow. */
  stretched: boolean;
}

/**
 * The wait after a scan that took `lastScanMs` when the setting asks for `intervalMs`. A stretched
 * wait is rounded up to a tenth of a second (the log says it, and a few ms of jitter in the scan
 * time must not make a new wait, and a new log line, on every refresh).
 */
export function nextScanPace(intervalMs: number, lastScanMs: number): ScanPace {
  const asked = Math.max(MIN_INTERVAL_MS, Number.isFinite(intervalMs) ? intervalMs : MIN_INTERVAL_MS);
  const scan = Number.isFinite(lastScanMs) && lastScanMs > 0 ? lastScanMs : 0;
  const needed = Math.ceil((scan * (1 / MAX_SCAN_SHARE - 1)) / 100) * 100;
  return needed > asked ? { delayMs: needed, stretched: true } : { delayMs: asked, stretched: false };
}

/** "3.5 s", "12 s", "750 ms": a wait as the views show it. */
export function paceText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)} s`;
}

/**
 * What an always-visible summary (the status bar item) says while nothing refreshes it (no view
 * open, nor paused): when its facts were read. Without it, a count of problems fixed meanwhile in a
 * terminal stays on screen as if current. Undefined while live. `takenAt`: the last scan's ISO time.
 */
export function notLiveNote(live: { active: boolean; paused: boolean }, takenAt: string | undefined): string | undefined {
  if (live.active) return undefined;
  const t = takenAt ? Date.parse(takenAt) : NaN;
  const at = Number.isFinite(t) ? `As of ${new Date(t).toLocaleTimeString('en-GB')}` : 'As of the last scan';
  return `${at}: ${live.paused ? 'live updates are paused' : 'not refreshed while no IPC Inspector view is open'}.`;
}
