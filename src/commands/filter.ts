// ipcInspector.filter / ipcInspector.clearFilter: the text filter (name, pid, path, port, key, id; a key
// `0x…` or an id `pipe:4901` matches objects only, never their holders: core/filter.ts),
// applied live while typing. A string argument sets it directly (tests, keybindings).
import * as vscode from 'vscode';
import type { Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.filter', async (arg?: unknown) => {
      if (typeof arg === 'string') {
        s.filters.setText(arg);
        return;
      }
      const before = s.filters.text;
      const box = vscode.window.createInputBox();
      box.title = 'Filter IPC channels';
      box.placeholder = 'name, pid, path, :port, key (0x…) — e.g. nginx, 812, /run/app.sock, :8080';
      box.value = before;
      let accepted = false;
      const subs = [
        box.onDidChangeValue((v) => s.filters.setText(v)),
        box.onDidAccept(() => {
          accepted = true;
          box.hide();
        }),
      ];
      await new Promise<void>((resolve) => {
        subs.push(box.onDidHide(() => resolve()));
        box.show();
      });
      for (const d of subs) d.dispose();
      box.dispose();
      if (!accepted) s.filters.setText(before);
    }),
    vscode.commands.registerCommand('ipcInspector.clearFilter', () => {
      s.filters.setText('');
    }),
  );
}
