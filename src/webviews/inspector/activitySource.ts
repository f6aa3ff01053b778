// What the inspector panel shows of live activity, supplied by the extension's LiveActivity
// (registerLiveActivity.ts) without the panel depending on it: the signals a process received and
// sent (from the signal log, matched by pid and start time), and a channel's current bytes/s for
// the depth chart. Unset (tests, a panel without live activity): nothing is added.
import type { ProcessSignalLogView } from './protocol';

export interface InspectorActivitySource {
  processSignals(pid: number, startTime: number): ProcessSignalLogView;
  /** bytes/s of a channel in the latest sample, or undefined when it had no traffic or there is none. */
  channelRate(channelId: string): number | undefined;
}

let current: InspectorActivitySource | undefined;

/** Installs the source; the returned function removes it again. */
export function setInspectorActivitySource(s: InspectorActivitySource): () => void {
  current = s;
  return () => {
    if (current === s) current = undefined;
  };
}

export function inspectorActivity(): InspectorActivitySource | undefined {
  return current;
}
