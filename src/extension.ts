// Activation: wires the live poller, the view model, the two tree views (with their chrome: the
// click that inspects, the message, badge and "Paused"), the status bar, the commands and the
// debug-session scope. Nothing scans until a view becomes visible (or a
// command needs a snapshot). Every disposable goes to context.subscriptions; no module state.
// Returns a small API (tree providers, source, model) for the extension tests.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import * as commands from './commands';
import type { Services, TestHooks, ViewParts } from './commands/services';
import { SnapshotService, workerScriptOf } from './core/snapshotService';
import { DebugScope } from './debugScope';
import { HostFacts } from './hostFacts';
import { LiveSnapshots } from './liveSnapshots';
import { StatusBar } from './statusBar';
import { Ui } from './ui';
import { ChannelsTree } from './views/channelsTree';
import { FilterController } from './views/filterController';
import { isOpenedItemId, narrows } from './core/filter';
import type { IpcNode } from './views/nodes';
import { ProcessesTree } from './views/processesTree';
import { TreeChrome } from './views/treeChrome';
import { ViewChrome } from './views/viewChrome';
import { ViewModel } from './views/viewModel';
import { registerInspector } from './webviews/inspector';
import { inspectorActivitySource, registerLiveActivity } from './registerLiveActivity';
import type { LiveActivity } from './liveActivity';
import { registerTopology } from './webviews/topology';
import { Provenance } from './provenance';
import { ProblemsModel, registerProblems, type ProblemsRegistration } from './problems';
import { escapedLog } from './log';
import { RENEW_AFTER_ITEMS, RenewingTreeView } from './views/renewingTreeView';
import { RowKeeper } from './views/keepInView';
import { plural } from './core/text';

export interface IpcInspectorApi extends ViewParts {
  debugScope: DebugScope;
  /** What started each process inside VS Code (terminal, task, debug session, VS Code itself). */
  provenance: Provenance;
  hostFacts: HostFacts;
  statusBar: StatusBar;
  viewChrome: ViewChrome;
  /** What the views are created with (the click command and empty state around each provider). */
  channelsChrome: TreeChrome;
  processesChrome: TreeChrome;
  /** Live activity: rates per channel id and process pair, the signal log (src/liveActivity.ts). */
  liveActivity: LiveActivity;
  /** The diagnosis: problems, the Problems view and its tree (src/problems). */
  problems: ProblemsRegistration;
  /** Milliseconds activate() took. */
  activationMs: number;
  /** Scans taken by the time activate() returned (none: scanning waits for a visible view). */
  scansAtActivation: number;
  /** The directory of the Output channel's log file (`IPC Inspector.log`): what the extension logged, as written. */
  logUri: vscode.Uri;
  /** Only in test mode (ExtensionMode.Test): replace modals and quick picks. */
  testHooks?: TestHooks;
}

const VIEW_IDS = ['ipcInspector.channels', 'ipcInspector.processes'] as const;

export function isSupportedHost(): boolean {
  return process.platform === 'linux' && fs.existsSync('/proc/self/status');
}

export function activate(context: vscode.ExtensionContext): IpcInspectorApi {
  const t0 = performance.now();
  const subs = context.subscriptions;
  // every line escaped (log.ts): names and paths in it are other users' text
  const log = escapedLog(vscode.window.createOutputChannel('IPC Inspector', { log: true }));
  subs.push(log);
  const supported = isSupportedHost();
  void vscode.commands.executeCommand('setContext', 'ipcInspector.unsupported', !supported);
  void vscode.commands.executeCommand('setContext', 'ipcInspector.paused', false);
  const cfg = () => vscode.workspace.getConfiguration('ipcInspector');

  const source = new LiveSnapshots({
    log,
    interval: () => cfg().get<number>('refreshInterval', 1000),
    createService: () => {
      if (!supported) throw new Error('IPC Inspector reads /proc, which this machine does not have (it runs on Linux).');
      // the diagnosis rules run in the scan worker after each snapshot (ipcInspector.diagnose)
      const diagnose = cfg().get<boolean>('diagnose', true);
      const service = new SnapshotService({ workerPath: workerScriptOf(context.extensionPath), diagnose });
      if (service.fallbackReason) log.warn(service.fallbackReason);
      else log.debug('snapshots are taken in a worker thread');
      return service;
    },
  });
  const model = new ViewModel(() => cfg().get<number>('newMarkerRefreshes', 3));
  const filters = new FilterController(model);
  const channelsTree = new ChannelsTree(model);
  const processesTree = new ProcessesTree(model);
  const hostFacts = new HostFacts(log);
  processesTree.usageProvider = (pid, startTime) => hostFacts.processUsageText(pid, startTime);
  subs.push(source, model, filters, channelsTree, processesTree, hostFacts);
  subs.push(source.onDidUpdate((u) => model.update(u)));
  const problemsModel = new ProblemsModel(source, model, () => cfg().get<boolean>('diagnose', true));
  subs.push(problemsModel);
  // the worker's diagnosis lists what the narrowed views show before its per-rule cap, so a
  // hundred problems of a rule elsewhere do not cut off the one the filter asks for
  subs.push(model.onDidChange((c) => c.full && source.setDiagnosisNarrowing(narrows(model.filter) ? { ...model.filter } : null)));

  // Collapse All sits in the overflow menu (commands/collapseAll.ts), not inline.
  const channelsChrome = new TreeChrome(channelsTree, model, 'channels');
  const processesChrome = new TreeChrome(processesTree, model, 'processes');
  // rows a filter text opens are shown under ids of their own (views/filterOpen.ts): their expansion is not remembered as the user's
  const channelsView = new RenewingTreeView<IpcNode>('ipcInspector.channels', { treeDataProvider: channelsChrome }, RENEW_AFTER_ITEMS, isOpenedItemId);
  const processesView = new RenewingTreeView<IpcNode>('ipcInspector.processes', { treeDataProvider: processesChrome }, RENEW_AFTER_ITEMS, isOpenedItemId);
  // The Get Started view is welcome content only (package.json viewsWelcome): an empty tree.
  const welcomeView = vscode.window.createTreeView<never>('ipcInspector.welcome', { treeDataProvider: { getTreeItem: (e) => e, getChildren: () => [] } });
  // the row a command (Go To, Show Warnings, Reveal Peer) selected in each, kept in view while its tree changes
  const channelsKeeper = new RowKeeper<IpcNode>(channelsView, channelsTree.onDidChangeTreeData, (line) => log.debug(line));
  const processesKeeper = new RowKeeper<IpcNode>(processesView, processesTree.onDidChangeTreeData, (line) => log.debug(line));
  subs.push(channelsView, processesView, welcomeView, channelsChrome, processesChrome, channelsKeeper, processesKeeper);
  const viewChrome = new ViewChrome(model, source, filters, channelsView, processesView);
  const statusBar = new StatusBar(model);
  subs.push(viewChrome, statusBar, statusBar.setFreshness(source));

  // First scan: a progress indicator on the views until the first snapshot arrives.
  let firstShown = false;
  const onFirstVisible = () => {
    if (firstShown || !supported) return;
    firstShown = true;
    const first = new Promise<void>((resolve) => {
      const d = source.onDidUpdate(() => {
        d.dispose();
        resolve();
      });
      const e = source.onDidError(() => {
        e.dispose();
        resolve();
      });
    });
    for (const viewId of VIEW_IDS) void vscode.window.withProgress({ location: { viewId } }, () => first);
    // Host facts: once, off the refresh path.
    void hostFacts.hostSummary().then((h) => {
      if (!h) return;
      viewChrome.hostLine = `${h.distro} · kernel ${h.kernel} · ${plural(h.cpus, 'CPU')}`;
    });
  };
  for (const [id, view] of [
    [VIEW_IDS[0], channelsView],
    [VIEW_IDS[1], processesView],
  ] as const) {
    subs.push(
      view.onDidChangeVisibility((e) => {
        if (e.visible) onFirstVisible();
        if (supported) source.setVisible(id, e.visible);
      }),
    );
    if (view.visible) {
      onFirstVisible();
      if (supported) source.setVisible(id, true);
    }
  }
  subs.push(
    source.onDidChangeState(() => void vscode.commands.executeCommand('setContext', 'ipcInspector.paused', source.paused)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipcInspector.refreshInterval') && source.active) void source.refresh().catch(() => undefined);
    }),
  );

  const debugScope = new DebugScope(filters, log);
  subs.push(debugScope);
  // Provenance: labels in the trees and the panel; VS Code's own processes re-read off the refresh path.
  const provenance = new Provenance(() => model.procs, log);
  model.ctx.provenance = (pid) => provenance.shownOf(pid);
  subs.push(
    provenance,
    // only the rows whose label changed re-render (a whole-tree refresh would disturb a hover or a reveal)
    provenance.onDidChange((pids) => {
      processesTree.refreshPids(pids);
      channelsTree.refreshPids(pids);
    }),
    source.onDidUpdate(() => void provenance.refreshOwn()),
  );
  // VS Code's own processes are read once now (asynchronously), so the first rows render with their labels
  void provenance.refreshOwn(true);

  const testHooks: TestHooks = {};
  const ui = new Ui(testHooks, context.extensionMode === vscode.ExtensionMode.Test || process.env.IPC_INSPECTOR_TEST === '1');
  const liveActivity = registerLiveActivity(context, source, model, ui, log);
  const inspector = registerInspector(context, source, log, ui, { provenance: (pid) => provenance.of(pid)?.label, problems: problemsModel, activity: inspectorActivitySource(liveActivity) });
  const services: Services = { context, log, source, model, filters, channelsTree, processesTree, channelsView, processesView, channelsKeeper, processesKeeper, testHooks, ui, inspector, statusBar, provenance, debugScope };
  for (const register of commands.all) subs.push(register(services));
  const problems = registerProblems({ services, problems: problemsModel, channelsChrome, processesChrome, statusBar, viewChrome, supported });
  subs.push(problems.disposable);
  registerTopology(context, { source, filters: model, views: problemsModel, openInspector: (target) => inspector.open(target), log, rates: liveActivity.rateFeed() });
  // Busy channels (bytes/s from the tracer) sort first when a channel is placed or changes; a new
  // sample alone re-sorts nothing: rates move every second, and rows must not jump under the pointer.
  const rateOf = (id: string) => {
    const latest = liveActivity.latest;
    return latest?.source === 'bpf' ? latest.channels[id]?.bytesPerSec : undefined;
  };
  channelsTree.rateOf = rateOf;
  processesTree.rateOf = rateOf;
  // The rate column: each channel's bytes/s in its description; a sample re-renders only the rows
  // whose rounded rate changed (those measured now, and those measured before and idle now).
  model.ctx.rate = rateOf;
  let rated = new Set<string>();
  subs.push(
    liveActivity.onDidChange(({ sample }) => {
      if (!sample) return;
      const now = new Set(sample.source === 'bpf' ? Object.keys(sample.channels) : []);
      channelsTree.refreshChannels(new Set([...now, ...rated]));
      rated = now;
    }),
  );

  const activationMs = performance.now() - t0;
  const scansAtActivation = source.stats.scans;
  log.info(`activated in ${activationMs.toFixed(1)} ms (${supported ? 'Linux /proc found' : 'unsupported host: no /proc'}); no scan until a view is visible`);
  const api: IpcInspectorApi = { source, model, filters, channelsTree, processesTree, channelsView, processesView, channelsKeeper, processesKeeper, debugScope, provenance, hostFacts, statusBar, viewChrome, channelsChrome, processesChrome, liveActivity, problems, activationMs, scansAtActivation, logUri: context.logUri };
  if (context.extensionMode === vscode.ExtensionMode.Test) api.testHooks = testHooks;
  return api;
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
