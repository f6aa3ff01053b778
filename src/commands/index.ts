// Every command's register function (one command, or one on/off pair, per file).
import type * as vscode from 'vscode';
import type { Services } from './services';
import { register as collapseAll } from './collapseAll';
import { register as copyAsJson } from './copyAsJson';
import { register as exportSnapshot } from './exportSnapshot';
import { register as filter } from './filter';
import { register as goTo } from './goTo';
import { register as groupProcesses } from './groupProcesses';
import { register as hideKinds } from './hideKinds';
import { register as openInspector } from './openInspector';
import { register as pause } from './pause';
import { register as refresh } from './refresh';
import { register as removeObject } from './removeObject';
import { register as revealPeer } from './revealPeer';
import { register as scope } from './scope';
import { register as sendSignal } from './sendSignal';
import { register as showLog } from './showLog';
import { register as showWarnings } from './showWarnings';
import { register as toggles } from './toggles';
import { register as welcome } from './welcome';
import { register as freePort } from './freePort';
import { register as provenanceActions } from './provenanceActions';

export const all: ReadonlyArray<(s: Services) => vscode.Disposable> = [
  refresh,
  pause,
  filter,
  toggles,
  hideKinds,
  sendSignal,
  goTo,
  revealPeer,
  copyAsJson,
  exportSnapshot,
  removeObject,
  scope,
  showLog,
  openInspector,
  showWarnings,
  collapseAll,
  welcome,
  freePort,
  provenanceActions,
  groupProcesses,
];
