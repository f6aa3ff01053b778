// ipcInspector.channels.collapseAll / ipcInspector.processes.collapseAll: "Collapse All" in each
// view's overflow menu (not inline: the title bar keeps Filter and Pause). The views are created
// without showCollapseAll, so this runs the workbench's own collapse action of that tree view.
import * as vscode from 'vscode';
import type { Services } from './services';

export const VIEW_IDS = ['ipcInspector.channels', 'ipcInspector.processes'] as const;

export function register(_s: Services): vscode.Disposable {
  return vscode.Disposable.from(
    ...VIEW_IDS.map((id) => vscode.commands.registerCommand(`${id}.collapseAll`, () => vscode.commands.executeCommand(`workbench.actions.treeView.${id}.collapseAll`))),
  );
}
