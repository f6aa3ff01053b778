// The Get Started view's commands: ipcInspector.dismissWelcome ("Got It") hides the view for
// good (the setting ipcInspector.showWelcome, which its `when` reads), ipcInspector.showWelcome
// brings it back. The view itself is only welcome content (package.json viewsWelcome).
import * as vscode from 'vscode';
import type { Services } from './services';

export function register(_s: Services): vscode.Disposable {
  const set = (value: boolean) => async () => {
    await vscode.workspace.getConfiguration('ipcInspector').update('showWelcome', value, vscode.ConfigurationTarget.Global);
    if (value) await vscode.commands.executeCommand('ipcInspector.welcome.focus');
    return value;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.dismissWelcome', set(false)),
    vscode.commands.registerCommand('ipcInspector.showWelcome', set(true)),
  );
}
