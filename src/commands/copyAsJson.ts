// ipcInspector.copyAsJson: the node's data (channel, endpoint, process…) as JSON on the clipboard,
// through safeJson (core/escape.ts): the names in it are other users' text, and what is copied is
// pasted — into a terminal too — so C1 controls, bidi and invisible characters are \u escapes (the
// same JSON value).
import * as vscode from 'vscode';
import { safeJson } from '../core/escape';
import { nodeData } from '../views/nodes';
import { Services, targetNode } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.copyAsJson', async (arg?: unknown) => {
    const node = targetNode(s, arg);
    if (!node) {
      void s.ui.info('IPC Inspector: select a node to copy.');
      return undefined;
    }
    const text = safeJson(nodeData(node), 2);
    await vscode.env.clipboard.writeText(text);
    return text;
  });
}
