// Wires live activity into the extension (one call from extension.ts): the LiveActivity owner,
// the Signals view, the Enable/Disable Live Activity commands, and what the inspector panel shows
// of it (a process's received/sent signals, a channel's bytes/s). Returns the LiveActivity, whose
// `latest` sample and `onDidChange` the topology map and other views read.
import * as vscode from 'vscode';
import { signalSenderText, partyLabel } from './core/activity/format';
import type { SignalEvent } from './core/activity/types';
import { LIVE_ACTIVITY_SETTING, LiveActivity } from './liveActivity';
import type { SnapshotSource } from './snapshotSource';
import type { Ui } from './ui';
import { registerSignalLogView } from './views/signalLogTree';
import type { ViewModel } from './views/viewModel';
import type { InspectorActivitySource } from './webviews/inspector/activitySource';
import type { SignalLogEntryView } from './webviews/inspector/protocol';

/** Entries per direction the inspector panel gets (the newest). */
const PANEL_SIGNALS_MAX = 200;

function entryView(e: SignalEvent): SignalLogEntryView {
  return {
    seq: e.seq,
    timeMs: e.timeMs,
    signal: e.signalName,
    code: e.codeName,
    via: e.via,
    result: e.result,
    sender: signalSenderText(e),
    senderPid: e.sender?.pid ?? null,
    receiver: partyLabel(e.receiver),
    receiverPid: e.receiver.pid,
    ...(e.value !== undefined ? { value: e.value } : {}),
  };
}

export function registerLiveActivity(context: vscode.ExtensionContext, source: SnapshotSource, model: ViewModel, ui: Ui, log: vscode.LogOutputChannel): LiveActivity {
  const activity = new LiveActivity(source, ui, log, (id) => model.channelsById.get(id));
  const setTo = async (value: 'on' | 'off') => {
    activity.chosen();
    await vscode.workspace.getConfiguration('ipcInspector').update(LIVE_ACTIVITY_SETTING, value, vscode.ConfigurationTarget.Global);
    if (value === 'on') {
      const running = await activity.requestTracer();
      if (!running && activity.state === 'unavailable') void ui.warn(`IPC Inspector: ${activity.describe()}`);
    }
  };
  context.subscriptions.push(
    activity,
    registerSignalLogView(activity, model),
    vscode.commands.registerCommand('ipcInspector.enableLiveActivity', () => setTo('on')),
    vscode.commands.registerCommand('ipcInspector.disableLiveActivity', () => setTo('off')),
  );
  return activity;
}

/** What the inspector panel shows of `activity`: a process's signals (the newest of each direction) and a channel's bytes/s. */
export function inspectorActivitySource(activity: LiveActivity): InspectorActivitySource {
  return {
    processSignals(pid, startTime) {
      const { received, sent } = activity.signals.forProcess(pid, startTime);
      return {
        available: activity.tracing,
        note: activity.describe(),
        received: received.slice(-PANEL_SIGNALS_MAX).reverse().map(entryView),
        sent: sent.slice(-PANEL_SIGNALS_MAX).reverse().map(entryView),
      };
    },
    channelRate(id) {
      const c = activity.latest?.channels[id];
      return c ? c.bytesPerSec : undefined;
    },
  };
}
