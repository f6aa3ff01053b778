// ipcInspector.showLog: reveal the `IPC Inspector` log output channel.
import * as vscode from 'vscode';
import type { Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.showLog', () => s.log.show(true));
}
