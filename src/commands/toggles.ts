// ipcInspector.toggleWorkspaceOnly / ipcInspector.toggleOtherUsers: flip the settings (the
// workspace value when one is set, else the user value). A boolean argument sets the value.
import * as vscode from 'vscode';
import type { Services } from './services';

export function register(s: Services): vscode.Disposable {
  const toggle = (key: 'workspaceOnly' | 'hideOtherUsers') => async (arg?: unknown) => {
    const next = typeof arg === 'boolean' ? arg : !s.model.filter[key];
    await s.filters.update(key, next);
    return next;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.toggleWorkspaceOnly', toggle('workspaceOnly')),
    vscode.commands.registerCommand('ipcInspector.toggleOtherUsers', toggle('hideOtherUsers')),
  );
}
