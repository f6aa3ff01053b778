// Entry point of the inspector panel for the extension: registers the serializer (so a panel
// survives a reload) and returns `open(target)` for the commands and tree views.
import * as vscode from 'vscode';
import type { InspectorTarget, SnapshotSource } from '../../snapshotSource';
import { InspectorPanel, getWebviewOptions, type InspectorLog } from './inspectorPanel';
import { INSPECTOR_VIEW_TYPE } from './protocol';

export { InspectorPanel, getWebviewOptions };
export type { InspectorLog };
export { signalRisk, vscodeProcesses, vscodeProcessesFromProc, describeRisk, type SignalRisk, type SignalRiskContext } from '../../core/actions/policy';

export interface Inspector {
  open(target: InspectorTarget): void;
}

export function registerInspector(context: vscode.ExtensionContext, source: SnapshotSource, log: InspectorLog): Inspector {
  const deps = { context, source, log };
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        InspectorPanel.revive(panel, deps, state);
      },
    }),
    { dispose: () => InspectorPanel.current?.dispose() },
  );
  return {
    open(target: InspectorTarget) {
      try {
        InspectorPanel.createOrShow(deps, target);
      } catch (e) {
        log.warn(`inspector: cannot open ${JSON.stringify(target)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}
