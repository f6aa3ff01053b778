// Entry point of the topology map for the extension: the "Show Topology Map" command, the panel
// serializer (a map survives a reload), and the diagnosis feed the map marks problems from.
// extension.ts calls registerTopology once; everything registered here goes to
// context.subscriptions. The tracer (src/core/activity, when built) plugs its measured rates in
// through `rates` (a RateFeed); without it the map estimates rates from queue depths.
import * as vscode from 'vscode';
import { SnapshotService, workerScriptOf } from '../../core/snapshotService';
import type { InspectorTarget, SnapshotSource } from '../../snapshotSource';
import { ProblemFeed } from './problemFeed';
import { TOPOLOGY_VIEW_TYPE } from './protocol';
import { TopologyPanel, topologyTestHooks, type FilterSource, type RateFeed, type TopologyDeps, type TopologyLog } from './topologyPanel';

export { TopologyPanel, topologyTestHooks, describeFilter, type RateFeed } from './topologyPanel';

export const SHOW_TOPOLOGY_COMMAND = 'ipcInspector.showTopology';

export interface TopologyRegistration {
  source: SnapshotSource;
  /** The trees' filter (the ViewModel): the map shows what the trees show. */
  filters: FilterSource;
  openInspector(target: InspectorTarget): void;
  log: TopologyLog;
  /** The Problems view's diagnosis (ProblemsModel), which the map counts from. */
  views?: TopologyDeps['views'];
  /** Measured rates from the tracer; omitted until it exists. */
  rates?: RateFeed;
}

export function registerTopology(context: vscode.ExtensionContext, r: TopologyRegistration): { show(): void } {
  const cfg = () => vscode.workspace.getConfiguration('ipcInspector');
  const problems = new ProblemFeed(
    // the scan and the rules run in the service's worker thread; this thread only parses their result
    () => new SnapshotService({ diagnose: true, workerPath: workerScriptOf(context.extensionPath) }),
    () => cfg().get<number>('refreshInterval', 1000),
    r.log,
    () => cfg().get<boolean>('diagnose', true),
  );
  const testMode = context.extensionMode === vscode.ExtensionMode.Test || process.env.IPC_INSPECTOR_TEST === '1';
  const deps: TopologyDeps = { context, source: r.source, filters: r.filters, problems, views: r.views, rates: r.rates, openInspector: r.openInspector, log: r.log, testMode };
  const show = () => {
    try {
      TopologyPanel.createOrShow(deps);
    } catch (e) {
      r.log.warn(`topology: cannot open the map: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  context.subscriptions.push(
    problems,
    vscode.commands.registerCommand(SHOW_TOPOLOGY_COMMAND, show),
    vscode.window.registerWebviewPanelSerializer(TOPOLOGY_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        TopologyPanel.revive(panel, deps);
      },
    }),
    { dispose: () => TopologyPanel.current?.dispose() },
  );
  if (testMode) context.subscriptions.push(registerTestCommand());
  return { show };
}

/** The command the extension tests drive the map's host with (registered only in test mode). */
export const TOPOLOGY_TEST_COMMAND = 'ipcInspector.test.topology';

export interface TopologyTestState {
  open: boolean;
  rejected: string[];
  opened: InspectorTarget[];
}

function registerTestCommand(): vscode.Disposable {
  return vscode.commands.registerCommand(TOPOLOGY_TEST_COMMAND, (action: string, arg?: unknown): TopologyTestState | undefined => {
    const panel = TopologyPanel.current;
    switch (action) {
      case 'state':
        return { open: !!panel, rejected: [...topologyTestHooks.rejected], opened: [...topologyTestHooks.opened] };
      case 'reset':
        topologyTestHooks.rejected.length = 0;
        topologyTestHooks.opened.length = 0;
        return undefined;
      case 'post':
        // as if the webview had posted `arg`: the same validation path
        panel?.onMessage(arg);
        return undefined;
      case 'close':
        panel?.dispose();
        return undefined;
    }
    return undefined;
  });
}
