// ipcInspector.exportSnapshot: write the whole snapshot (the public contract JSON, unfiltered) to
// a file chosen in a save dialog; a Uri argument skips the dialog (tests, automation). Written as
// the CLI's `snapshot --json` writes it (safeJson): a file of other users' names that is read with
// cat and less too, so C1 controls, bidi and invisible characters are \u escapes (the same value).
import * as os from 'node:os';
import * as vscode from 'vscode';
import { safeJson } from '../core/escape';
import { ensureSnapshot, errorText, Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.exportSnapshot', async (arg?: unknown) => {
    try {
      const snapshot = await ensureSnapshot(s);
      let uri = arg instanceof vscode.Uri ? arg : undefined;
      if (!uri) {
        const stamp = snapshot.takenAt.replace(/[:.]/g, '-');
        const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
        uri = await vscode.window.showSaveDialog({
          title: 'Export IPC snapshot',
          defaultUri: vscode.Uri.joinPath(base, `ipc-snapshot-${stamp}.json`),
          filters: { JSON: ['json'] },
        });
        if (!uri) return undefined;
      }
      await vscode.workspace.fs.writeFile(uri, Buffer.from(safeJson(snapshot, 2) + '\n', 'utf8'));
      s.log.info(`exported snapshot (${snapshot.channels.length} channels) to ${uri.toString()}`);
      if (!(arg instanceof vscode.Uri)) void s.ui.info(`IPC snapshot saved to ${uri.fsPath}`);
      return uri;
    } catch (e) {
      s.log.error('export failed:', e instanceof Error ? e : String(e));
      void s.ui.error(`IPC Inspector: export failed: ${errorText(e)}`);
      return undefined;
    }
  });
}
