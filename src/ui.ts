// The extension's one door to VS Code's notification, modal and quick-pick APIs. Every text goes
// through core/escape.ts for the surface it lands on — notifications: controls escaped and
// `[x](command:…)` links broken; modal dialogs: plain text (links broken anyway; the title is one
// line, the detail keeps only the lines we join); quick picks:
// `$(icon)` escaped — so a process or object name can never become a command link or an icon.
// In test mode every text is also recorded exactly as handed to VS Code, and test hooks answer
// modals and quick picks instead of a person (the one confirmation seam: commands and the
// inspector panel both ask through confirm()).
import * as vscode from 'vscode';
import { dialogText, dialogTitle, escapeControl, notificationText, quickPickText, truncate } from './core/escape';
import type { Question } from './core/actions/runner';

/** One text handed to VS Code (test mode). */
export interface UiRecord {
  kind: 'info' | 'warning' | 'error' | 'modal' | 'pick';
  /** The message, modal title or quick pick title, exactly as handed to VS Code. */
  text: string;
  /** A modal's detail. */
  detail?: string;
  /** A quick pick's items as handed to VS Code (label, description, detail). */
  items?: Array<Pick<vscode.QuickPickItem, 'label' | 'description' | 'detail'>>;
}

export interface TestHooks {
  /** Replaces modal confirmations (test mode only): gets the escaped title and detail; true confirms. */
  confirm?: (message: string, detail: string) => boolean | Promise<boolean>;
  /** Replaces quick picks (test mode only): receives the escaped items, returns the chosen one(s). */
  pick?: (title: string, items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | vscode.QuickPickItem[] | undefined;
  /** Test mode: what the person "types" into a live quick pick before `pick` answers (default ''). */
  pickValue?: string;
  /** Test mode: every text handed to VS Code, oldest first (the newest RECORD_MAX). */
  record?: UiRecord[];
}

/** A live quick pick (Ui.livePick): its items follow what is typed. */
export interface LivePickSpec<T extends vscode.QuickPickItem> {
  title: string;
  placeholder: string;
  /** The items (separators included) for the typed value; called on open and on every change. A `title` replaces the pick's title. */
  items(value: string): { items: T[]; title?: string };
  /** The highlighted item changed (arrow keys, typing): e.g. reveal it in a tree. */
  onActive?(item: T): void;
  /** false: the items do not depend on the typed value (VS Code filters them); computed once. */
  live?: boolean;
  /**
   * Work the items wait for (a fresh scan): the pick opens at once, busy, with the items `items`
   * gives meanwhile, and renders again when it settles (a failure is said in the title). Opening
   * only after it would leave the person with no feedback, and the keyboard focus with whatever
   * held it before, meanwhile.
   */
  ready?: Promise<unknown>;
}

const RECORD_MAX = 500;

export class Ui {
  constructor(
    readonly testHooks: TestHooks,
    readonly testMode: boolean,
  ) {
    if (testMode) testHooks.record ??= [];
  }

  private note(r: UiRecord): void {
    if (!this.testMode) return;
    const list = (this.testHooks.record ??= []);
    list.push(r);
    if (list.length > RECORD_MAX) list.splice(0, list.length - RECORD_MAX);
  }

  /** An information notification (`actions` are our own button labels). */
  info(message: string, ...actions: string[]): Thenable<string | undefined> {
    const text = notificationText(message);
    this.note({ kind: 'info', text });
    return vscode.window.showInformationMessage(text, ...actions);
  }

  warn(message: string, ...actions: string[]): Thenable<string | undefined> {
    const text = notificationText(message);
    this.note({ kind: 'warning', text });
    return vscode.window.showWarningMessage(text, ...actions);
  }

  error(message: string, ...actions: string[]): Thenable<string | undefined> {
    const text = notificationText(message);
    this.note({ kind: 'error', text });
    return vscode.window.showErrorMessage(text, ...actions);
  }

  /** A modal yes/no; the test hook answers instead in test mode. */
  async confirm(q: Pick<Question, 'title' | 'detail' | 'action'>): Promise<boolean> {
    const title = dialogTitle(q.title);
    const detail = dialogText(q.detail);
    const action = truncate(escapeControl(q.action), 64);
    this.note({ kind: 'modal', text: title, detail });
    if (this.testMode && this.testHooks.confirm) return this.testHooks.confirm(title, detail);
    const answer = await vscode.window.showWarningMessage(title, { modal: true, detail }, action);
    return answer === action;
  }

  /** A quick pick whose label, description and detail are escaped (extra fields of the items are kept). */
  async pick<T extends vscode.QuickPickItem>(title: string, items: readonly T[], options: vscode.QuickPickOptions = {}): Promise<T | undefined> {
    const safe = items.map((i) => ({
      ...i,
      label: quickPickText(i.label),
      ...(i.description !== undefined ? { description: quickPickText(i.description) } : {}),
      ...(i.detail !== undefined ? { detail: quickPickText(i.detail) } : {}),
    }));
    const safeTitle = truncate(escapeControl(title), 200);
    this.note({ kind: 'pick', text: safeTitle, items: safe.map(({ label, description, detail }) => ({ label, description, detail })) });
    if (this.testMode && this.testHooks.pick) return this.testHooks.pick(safeTitle, safe) as T | undefined;
    return vscode.window.showQuickPick(safe, { title: safeTitle, matchOnDescription: true, matchOnDetail: true, ...options });
  }

  /** Escaped copy of a quick pick item (extra fields kept; separators' labels escaped too). */
  private safeItem<T extends vscode.QuickPickItem>(i: T): T {
    return {
      ...i,
      label: quickPickText(i.label),
      ...(i.description !== undefined ? { description: quickPickText(i.description) } : {}),
      ...(i.detail !== undefined ? { detail: quickPickText(i.detail) } : {}),
    };
  }

  /**
   * A quick pick whose items are recomputed as the person types (unless `live: false`) (escaped like pick()); resolves
   * with the accepted item, or undefined when dismissed. In test mode the `pick` hook answers from
   * the items for `testHooks.pickValue`.
   */
  async livePick<T extends vscode.QuickPickItem>(spec: LivePickSpec<T>): Promise<T | undefined> {
    const safeTitle = (t: string) => truncate(escapeControl(t), 200);
    if (this.testMode && this.testHooks.pick) {
      await spec.ready?.catch(() => undefined);
      const r = spec.items(this.testHooks.pickValue ?? '');
      const items = r.items.map((i) => this.safeItem(i));
      const title = safeTitle(r.title ?? spec.title);
      this.note({ kind: 'pick', text: title, items: items.map(({ label, description, detail }) => ({ label, description, detail })) });
      return this.testHooks.pick(title, items) as T | undefined;
    }
    const qp = vscode.window.createQuickPick<T>();
    qp.title = safeTitle(spec.title);
    qp.placeholder = spec.placeholder;
    const live = spec.live !== false;
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    // Live: the items for a typed value are already its ranking (search.ts puts a pid's process
    // before its channels), but the workbench sorts what it matched by its label highlights (a
    // user saw a process after its own channels). QuickPick.sortByLabel (the quickPickSortByLabel
    // proposal: a plain property of the extension host's object, checked by nothing) turns that
    // off, sent with those items; a workbench without it keeps its sort. Not for the browse list:
    // between a keystroke and our items for it the workbench filters the items it has, and in
    // browse order a port's process came before its listener, which then moved under the pointer
    // (an e2e click accepted the process); sorted by label, that interim list already leads with
    // what our ranking puts first for a port or a name.
    const sortByLabel = (on: boolean) => {
      if (live) (qp as unknown as { sortByLabel: boolean }).sortByLabel = on;
    };
    const render = (value: string) => {
      const r = spec.items(value);
      sortByLabel(!value.trim());
      qp.items = r.items.map((i) => this.safeItem(i));
      qp.title = safeTitle(r.title ?? spec.title);
      if (this.testMode) this.note({ kind: 'pick', text: qp.title, items: qp.items.map(({ label, description, detail }) => ({ label, description, detail })) });
    };
    render('');
    return new Promise<T | undefined>((resolve) => {
      let done = false;
      const finish = (v: T | undefined) => {
        if (done) return;
        done = true;
        resolve(v);
        for (const d of subs) d.dispose();
        qp.dispose();
      };
      const subs = [
        qp.onDidChangeValue((v) => {
          if (live) render(v);
        }),
        qp.onDidChangeActive((a) => {
          if (a[0] && spec.onActive) spec.onActive(a[0]);
        }),
        qp.onDidAccept(() => finish(qp.selectedItems[0] ?? qp.activeItems[0])),
        qp.onDidHide(() => finish(undefined)),
      ];
      if (spec.ready) {
        qp.busy = true;
        const settled = (failure?: unknown) => {
          if (done) return;
          qp.busy = false;
          render(qp.value);
          // what the items lack, said where the person is looking (they stay what `items` gives)
          if (failure !== undefined) qp.title = safeTitle(`${qp.title} — the scan failed: ${failure instanceof Error ? failure.message : String(failure)}`);
        };
        void spec.ready.then(
          () => settled(),
          (e: unknown) => settled(e ?? 'unknown error'),
        );
      }
      qp.show();
    });
  }
}
