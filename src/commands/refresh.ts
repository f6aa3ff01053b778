// ipcInspector.refresh: scan now (even when paused), with a progress indicator on the views.
import * as vscode from 'vscode';
import { errorText, Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.refresh', async () => {
    try {
      return await vscode.window.withProgress({ location: { viewId: 'ipcInspector.channels' } }, () => s.source.refresh());
    } catch (e) {
      void s.ui.error(`IPC Inspector: scan failed: ${errorText(e)}`);
      return undefined;
    }
  });
}
