// A measurement, not a test (no assertion: memory is measured, never asserted): what the extension
// host keeps per tree item it creates, with the views never replaced and with them replaced
// (views/renewingTreeView.ts), inside the real extension host with the Channels and Processes
// views open and a process holding 2,000 pipes, their group expanded. Each round re-renders the
// views (a full refresh, as when a process holding IPC starts or exits: the top levels and what
// is expanded) REFRESHES times, each after the last was fetched, then collects garbage and reads
// the heap. Printed as IPC-TREE-RENEWAL lines (run with --verbose to see them):
//   IPC_BENCH=1 node dist/test/harness/runExtensionTests.js --grep-file treeRenewal
import { spawn } from 'node:child_process';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import type { IpcInspectorApi } from '../../src/extension';
import type { IpcNode } from '../../src/views/nodes';
import { RENEW_AFTER_ITEMS, type RenewingTreeView } from '../../src/views/renewingTreeView';
import { openApi, waitFor } from './ipcTestUtil';

const REFRESHES = Number(process.env.IPC_BENCH_TREE_REFRESHES ?? 300);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tree item memory, views replaced or not', function () {
  this.timeout(30 * 60_000);
  let api: IpcInspectorApi;
  before(async () => {
    api = await openApi();
  });

  it('prints the host heap kept per item created', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(50);
      }
      return v8.getHeapStatistics().used_heap_size;
    };
    const views = [api.channelsView, api.processesView] as RenewingTreeView<IpcNode>[];
    await vscode.commands.executeCommand('ipcInspector.processes.focus');
    await vscode.commands.executeCommand('ipcInspector.channels.focus');
    await waitFor('both views visible', () => views.every((v) => v.visible));
    const holder = spawn('python3', ['-c', 'import os, resource, sys\nresource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))\nps = [os.pipe() for _ in range(2000)]\nprint("ok", flush=True)\nsys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((r) => holder.stdout!.once('data', r));
    const pipe = await waitFor('a pipe of the holder in the Channels view', () => api.model.result.channels.find((c) => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === holder.pid)), 30_000);
    await views[0].reveal(api.channelsTree.findChannel(pipe.id)!, { select: false, focus: false });
    for (const [name, limit] of [
      ['never replaced', Infinity],
      [`replaced every ${RENEW_AFTER_ITEMS.toLocaleString('en')} items (the default)`, RENEW_AFTER_ITEMS],
    ] as const) {
      for (const v of views) v.limit = limit;
      const h0 = await heap();
      let items = 0;
      const renewals0 = views.reduce((n, v) => n + v.renewals, 0);
      for (let i = 0; i < REFRESHES; i++) {
        const before = views.map((v) => [v.itemsCreated, v.renewals]);
        api.model.setFilter({});
        // the extension host sends a view's refresh after 200 ms without another
        await waitFor('the refresh fetched', () => views.some((v, k) => v.itemsCreated !== before[k][0] || v.renewals !== before[k][1]), 5_000).catch(() => undefined);
        await sleep(50);
        views.forEach((v, k) => (items += v.renewals === before[k][1] ? v.itemsCreated - before[k][0] : v.itemsCreated));
      }
      await sleep(1000);
      const h1 = await heap();
      const renewals = views.reduce((n, v) => n + v.renewals, 0) - renewals0;
      const grew = h1 - h0;
      console.log(`IPC-TREE-RENEWAL ${name}: ${REFRESHES} full refreshes, ${items} items created, ${renewals} views replaced; heap ${(h0 / 1048576).toFixed(1)} → ${(h1 / 1048576).toFixed(1)} MiB (${grew >= 0 ? '+' : ''}${(grew / 1048576).toFixed(2)}), ${(grew / Math.max(1, items)).toFixed(0)} B per item`);
    }
    for (const v of views) v.limit = RENEW_AFTER_ITEMS;
    holder.kill();
  });
});
