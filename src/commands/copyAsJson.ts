// ipcInspector.copyAsJson: the node's data (channel, endpoint, process…) as JSON on the clipboard.
import * as vscode from 'vscode';
import { nodeData } from '../views/nodes';
import { Services, targetNode } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.copyAsJson', async (arg?: unknown) => {
    const node = targetNode(s, arg);
    if (!node) {
      void s.ui.info('IPC Inspector: select a node to copy.');
      return undefined;
    }
    const text = JSON.stringify(nodeData(node), null, 2);
    await vscode.env.clipboard.writeText(text);
    return text;
  });
}
