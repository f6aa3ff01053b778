// ipcInspector.pause / ipcInspector.resume: stop and restart live polling (context key ipcInspector.paused).
import * as vscode from 'vscode';
import type { Services } from './services';

export function register(s: Services): vscode.Disposable {
  const setKey = () => vscode.commands.executeCommand('setContext', 'ipcInspector.paused', s.source.paused);
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.pause', async () => {
      s.source.pause();
      await setKey();
    }),
    vscode.commands.registerCommand('ipcInspector.resume', async () => {
      s.source.resume();
      await setKey();
    }),
  );
}
