// Host facts for the views' header (core/hostSummary.ts) and per-process CPU/memory for process
// tooltips (core/processUsage.ts): on demand (first visible view, a hover), cached, never on the
// refresh path. Each call's cost is kept in `costs` (the host facts' also logged at debug level).

import * as vscode from 'vscode';
import { hostSummary, type HostSummary } from './core/hostSummary';
import { processUsage, type ProcessUsage, type UsageSample } from './core/processUsage';
import { formatBytes } from './core/text';

export type HostFactsSummary = HostSummary;

/** Processes whose last sample is kept (the hovered ones): a CPU figure over the time since. */
const MAX_SAMPLES = 256;

export class HostFacts implements vscode.Disposable {
  private host: Promise<HostFactsSummary | undefined> | undefined;
  /** pid → its last sample, in hover order (oldest first). */
  private readonly samples = new Map<number, UsageSample>();
  readonly costs: { hostMs?: number; processMs?: number } = {};

  constructor(private readonly log: vscode.LogOutputChannel) {}

  hostSummary(): Promise<HostFactsSummary | undefined> {
    this.host ??= (async () => {
      const t0 = performance.now();
      try {
        const h = await hostSummary();
        this.costs.hostMs = performance.now() - t0;
        this.log.debug(`host facts (os-release, os module) took ${this.costs.hostMs.toFixed(1)} ms`);
        return h;
      } catch (e) {
        this.log.error('host facts unavailable:', e instanceof Error ? e.message : String(e));
        return undefined;
      }
    })();
    return this.host;
  }

  /** CPU/memory of the process that started at `startTime` (stat's starttime) with this pid; undefined once it is gone. */
  async processUsage(pid: number, startTime: number): Promise<ProcessUsage | undefined> {
    const t0 = performance.now();
    const r = await processUsage(pid, startTime, this.samples.get(pid));
    this.costs.processMs = performance.now() - t0;
    this.samples.delete(pid);
    if (!r) return undefined;
    this.samples.set(pid, r.sample);
    if (this.samples.size > MAX_SAMPLES) this.samples.delete(this.samples.keys().next().value!);
    return r.usage;
  }

  async processUsageText(pid: number, startTime: number): Promise<string | undefined> {
    const u = await this.processUsage(pid, startTime);
    if (!u) return undefined;
    const mem = u.rss === null ? 'no memory of its own' : `RSS ${formatBytes(u.rss)}${u.memPercent === null ? '' : ` (${u.memPercent.toFixed(1)} % of memory)`}`;
    return `CPU ${u.cpu.toFixed(1)} % over the last ${(u.overMs / 1000).toFixed(1)} s, ${mem}`;
  }

  dispose(): void {
    this.samples.clear();
  }
}
