// The seam between the live poller (views) and everything else in the extension host that
// shows snapshot data (the inspector webview, status bar, commands). Interface only.
import type * as vscode from 'vscode';
import type { Snapshot, SnapshotDiff } from './core/model';
import type { Diagnosis } from './core/diagnose/problem';

export interface SnapshotUpdate {
  snapshot: Snapshot;
  diff: SnapshotDiff;
  /** The diagnosis of this snapshot (computed in the scan worker) while `ipcInspector.diagnose` is on. */
  diagnosis?: Diagnosis;
}

export interface SnapshotSource {
  /** The latest snapshot, if one was taken. */
  readonly current: Snapshot | undefined;
  /** Fires after every completed scan (off-main-thread scan, diff applied on the main thread). */
  readonly onDidUpdate: vscode.Event<SnapshotUpdate>;
  /** Scan now (even when paused) and resolve with the new snapshot. */
  refresh(): Promise<Snapshot>;
  /** Keep polling while the returned disposable lives, even when no tree view is visible (an open inspector panel holds one). */
  hold(): vscode.Disposable;
}

/** What the inspector panel is opened on. */
export interface InspectorTarget {
  channelId?: string;
  pid?: number;
}
