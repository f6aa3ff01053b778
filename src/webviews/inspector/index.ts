// Entry point of the inspector panel for the extension: registers the serializer (so a panel
// survives a reload) and returns `open(target)` (and what it shows) for the commands and tree views.
import * as vscode from 'vscode';
import type { InspectorTarget, SnapshotSource } from '../../snapshotSource';
import { InspectorPanel, getWebviewOptions, isTestMode, sanitizeTarget, type InspectorLog } from './inspectorPanel';
import { INSPECTOR_VIEW_TYPE } from './protocol';
import type { Ui } from '../../ui';
import type { TargetProblems } from './problemViews';
import type { InspectorActivitySource } from './activitySource';

export { InspectorPanel, getWebviewOptions };
export type { InspectorLog };
export { signalRisk, describeRisk, type SignalRisk, type SignalRiskContext } from '../../core/actions/policy';

export interface Inspector {
  /** Shows the one panel on `target` (reusing it); `preserveFocus` keeps the keyboard where it is. */
  open(target: InspectorTarget, options?: { preserveFocus?: boolean }): void;
  /** What the panel shows while it is visible (sanitized as the panel keeps it); undefined when closed or hidden. */
  visibleTarget(): InspectorTarget | undefined;
  /** Moves the keyboard focus into the open panel, as it is (no re-render); false when there is none. */
  focus(): boolean;
  /** `target` as the panel would keep it (undefined when invalid), to compare with visibleTarget(). */
  normalize(target: InspectorTarget): InspectorTarget | undefined;
}

export function registerInspector(
  context: vscode.ExtensionContext, source: SnapshotSource, log: InspectorLog, ui: Ui,
  extra: { provenance?: (pid: number) => string | undefined; problems?: TargetProblems; activity?: InspectorActivitySource } = {},
): Inspector {
  const deps = { context, source, log, ui, ...extra };
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        InspectorPanel.revive(panel, deps, state);
      },
    }),
    { dispose: () => InspectorPanel.current?.dispose() },
  );
  if (isTestMode(context)) context.subscriptions.push(registerTestCommand(ui, deps));
  return {
    open(target: InspectorTarget, options = {}) {
      try {
        InspectorPanel.createOrShow(deps, target, options.preserveFocus ?? false);
      } catch (e) {
        log.warn(`inspector: cannot open ${JSON.stringify(target)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    visibleTarget() {
      const p = InspectorPanel.current;
      return p && p.panel.visible ? p.currentTarget : undefined;
    },
    focus() {
      const p = InspectorPanel.current;
      if (!p) return false;
      p.panel.reveal(undefined, false);
      return true;
    },
    normalize: (target) => sanitizeTarget(target),
  };
}

/** The command the extension tests drive the panel with (registered only in test mode). */
export const INSPECTOR_TEST_COMMAND = 'ipcInspector.test.inspector';

export interface InspectorTestState {
  open: boolean;
  target?: InspectorTarget;
  rendered: unknown[];
  rejected: string[];
  /** Every confirmation asked through the UI door (title + newline + detail, as handed to VS Code), in order. */
  confirmations: string[];
}

function registerTestCommand(ui: Ui, deps: Parameters<typeof InspectorPanel.revive>[1]): vscode.Disposable {
  return vscode.commands.registerCommand(INSPECTOR_TEST_COMMAND, async (action: string, arg?: unknown): Promise<InspectorTestState | undefined> => {
    const hooks = InspectorPanel.testHooks;
    const panel = InspectorPanel.current;
    switch (action) {
      case 'state':
        return {
          open: !!panel,
          target: panel?.currentTarget,
          rendered: [...hooks.rendered],
          rejected: [...hooks.rejected],
          confirmations: (ui.testHooks.record ?? []).filter((r) => r.kind === 'modal').map((r) => `${r.text}\n${r.detail ?? ''}`),
        };
      case 'reset':
        hooks.rendered.length = 0;
        hooks.rejected.length = 0;
        if (ui.testHooks.record) ui.testHooks.record.length = 0;
        return undefined;
      case 'drive':
        panel?.drive(arg as Parameters<InspectorPanel['drive']>[0]);
        return undefined;
      case 'post':
        // As if the webview had posted `arg`: the same validation path.
        await panel?.onMessage(arg);
        return undefined;
      case 'confirm':
        // `{ answer, afterMs }`: answered after a while, as a person reading the modal would
        if (typeof arg === 'object' && arg !== null && typeof (arg as { answer?: unknown }).answer === 'boolean') {
          const { answer, afterMs } = arg as { answer: boolean; afterMs?: number };
          ui.testHooks.confirm = () => new Promise((resolve) => setTimeout(() => resolve(answer), typeof afterMs === 'number' ? afterMs : 0));
        } else ui.testHooks.confirm = typeof arg === 'boolean' ? () => arg : undefined;
        return undefined;
      case 'close':
        panel?.dispose();
        return undefined;
      case 'revive': {
        // as VS Code does after a reload: a new panel of this view type, and the state the webview saved
        const p = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, 'IPC Inspector', vscode.ViewColumn.Active, getWebviewOptions(deps.context.extensionUri));
        InspectorPanel.revive(p, deps, arg);
        return undefined;
      }
    }
    return undefined;
  });
}
