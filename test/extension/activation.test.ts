// Runs inside the real extension host of code-server (see test/extension/index.ts).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXT_ID, waitFor } from './ipcTestUtil';

describe('activation', () => {
  it('the extension is loaded and activates', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} is not loaded; loaded: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')}`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every command the manifest contributes', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    await ext.activate();
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    assert.ok(contributed.length > 0, 'manifest contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('contributes the Get Started, Channels, Processes, Problems and Signals views in the IPC Inspector container', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const views = ext.packageJSON.contributes?.views?.ipcInspector ?? [];
    assert.deepEqual(
      views.map((v: { id: string }) => v.id),
      ['ipcInspector.welcome', 'ipcInspector.channels', 'ipcInspector.processes', 'ipcInspector.problems', 'ipcInspector.signals'],
    );
    // VS Code generates a focus command per view; running it opens the container and resolves the view.
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of ['ipcInspector.channels', 'ipcInspector.processes', 'ipcInspector.problems', 'ipcInspector.signals']) {
      assert.ok(registered.has(`${id}.focus`), `no view ${id} in the workbench`);
    }
    await vscode.commands.executeCommand('workbench.view.extension.ipcInspector');
    await vscode.commands.executeCommand('ipcInspector.channels.focus');
    await waitFor('extension active after focusing the view', () => ext.isActive);
  });
});
