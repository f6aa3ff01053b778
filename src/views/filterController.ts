// Owns the filter state the views apply: settings (hidden kinds, workspace-only, other users), the
// session's text filter and process scope, the workspace's folders and terminal/task pids. Keeps
// the context keys ipcInspector.filtered / ipcInspector.scoped in sync; what the views say about
// it (their message) is viewChrome.ts's.

import * as vscode from 'vscode';
import { oneLine } from '../core/escape';
import type { FilterState } from '../core/filter';
import type { ViewModel } from './viewModel';

export class FilterController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly terminalPids = new Map<vscode.Terminal, number>();
  private readonly taskPids = new Map<vscode.TaskExecution, number>();
  private scopeLabel = '';

  constructor(private readonly model: ViewModel) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ipcInspector')) this.apply();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.apply()),
      vscode.window.onDidOpenTerminal((t) => this.trackTerminal(t)),
      vscode.window.onDidCloseTerminal((t) => {
        this.terminalPids.delete(t);
        this.applyIfWorkspaceOnly();
      }),
      vscode.tasks.onDidStartTaskProcess((e) => {
        if (e.processId !== undefined) this.taskPids.set(e.execution, e.processId);
        this.applyIfWorkspaceOnly();
      }),
      vscode.tasks.onDidEndTaskProcess((e) => {
        this.taskPids.delete(e.execution);
        this.applyIfWorkspaceOnly();
      }),
    );
    for (const t of vscode.window.terminals) this.trackTerminal(t);
    this.apply();
  }

  private trackTerminal(t: vscode.Terminal): void {
    t.processId.then(
      (pid) => {
        if (pid === undefined) return;
        this.terminalPids.set(t, pid);
        this.applyIfWorkspaceOnly();
      },
      () => undefined,
    );
  }

  private applyIfWorkspaceOnly(): void {
    if (this.model.filter.workspaceOnly) this.apply();
  }

  private settings(): Pick<FilterState, 'hiddenKinds' | 'workspaceOnly' | 'hideOtherUsers' | 'workspaceFolders' | 'workspaceRootPids' | 'uid'> {
    const cfg = vscode.workspace.getConfiguration('ipcInspector');
    return {
      hiddenKinds: cfg.get<string[]>('hiddenKinds', []),
      workspaceOnly: cfg.get<boolean>('workspaceOnly', false),
      hideOtherUsers: cfg.get<boolean>('hideOtherUsers', false),
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      workspaceRootPids: [...this.terminalPids.values(), ...this.taskPids.values()],
      uid: process.getuid?.() ?? 0,
    };
  }

  /** Re-read settings and apply (keeps text and scope). */
  apply(patch: Partial<FilterState> = {}): void {
    this.model.setFilter({ ...this.settings(), ...patch });
    void vscode.commands.executeCommand('setContext', 'ipcInspector.filtered', this.model.filtering);
    void vscode.commands.executeCommand('setContext', 'ipcInspector.scoped', this.model.filter.scopePid !== undefined);
  }

  get text(): string {
    return this.model.filter.text;
  }

  setText(text: string): void {
    this.apply({ text });
  }

  setScope(pid: number | undefined, label = ''): void {
    this.scopeLabel = pid === undefined ? '' : label || `[${pid}]`;
    this.apply({ scopePid: pid });
  }

  get scopePid(): number | undefined {
    return this.model.filter.scopePid;
  }

  async update(key: 'hiddenKinds' | 'workspaceOnly' | 'hideOtherUsers', value: unknown): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('ipcInspector');
    const inspect = cfg.inspect(key);
    const target = inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await cfg.update(key, value, target);
    this.apply();
  }

  /** One line saying what narrows the views (plain text: the filter and scope label are untrusted), or undefined. */
  summary(): string | undefined {
    const f = this.model.filter;
    const parts: string[] = [];
    if (f.scopePid !== undefined) parts.push(`Scoped to ${this.scopeLabel} and its children`);
    if (f.text.trim()) parts.push(`Filter: “${f.text.trim()}”`);
    if (f.workspaceOnly) parts.push('this workspace only');
    if (f.hideOtherUsers) parts.push("other users' processes hidden");
    if (f.hiddenKinds.length) parts.push(`hidden kinds: ${f.hiddenKinds.join(', ')}`);
    return parts.length ? oneLine(parts.join(' · '), 500) : undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
