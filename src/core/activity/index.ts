// Live activity (issue 14): rates per channel id and per process pair, the signal log, and the
// capability that says where they come from (the BPF tracer, or queue-depth changes between
// snapshots). Plain Node, no vscode: the CLI (`top`, `signals`), the extension's views and the
// topology map read the same API.
//
//   const monitor = new ActivityMonitor();          // { tracer: 'off' } for queue depths only
//   await monitor.start();                          // monitor.capability says what runs and why not
//   const sample = await monitor.sample(snapshot);  // sample.channels['pipe:4901'].bytesPerSec, sample.pairs
//   monitor.signals.forProcess(pid)                 // the log outlives the receiver
//   await monitor.stop();
export * from './types';
export { ActivityMonitor, ownIpcNamespace, type ActivityMonitorOptions } from './monitor';
export { SignalLog, SIGNAL_LOG_SIZE, decodeSignal, decodeSiCode, decodeResult, matchesSignal, RESULT_TEXT, type SignalFilter } from './signalLog';
export { joinCounters, channelIdOf, throughput, type CounterRow, type JoinContext } from './join';
export { depthActivity } from './queueDepth';
export { activityCapability, tracerAddon, tracerDisabledByEnv, type TracerAddon, type TracerParts } from './tracer';
export { formatRate, formatOps, signalLine, signalSenderText, partyLabel, clockTime } from './format';
