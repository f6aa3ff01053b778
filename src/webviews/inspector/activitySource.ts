// What the inspector panel shows of live activity, supplied by the extension's LiveActivity
// (registerLiveActivity.ts) through the panel's dependencies, without the panel depending on it:
// the signals a process received and sent (from the signal log, matched by pid and start time),
// and a channel's current bytes/s for the depth chart. Absent (tests, a panel without live
// activity): nothing is added.
import type { ProcessSignalLogView } from './protocol';

export interface InspectorActivitySource {
  processSignals(pid: number, startTime: number): ProcessSignalLogView;
  /** bytes/s of a channel in the latest sample, or undefined when it had no traffic or there is none. */
  channelRate(channelId: string): number | undefined;
}
