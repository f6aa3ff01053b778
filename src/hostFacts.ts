// Host facts (distro, kernel, CPUs) and per-process CPU/memory from `systeminformation`, which
// spawns commands (ps, lsb_release…): only on demand (first visible view, a hover) and cached —
// never on the refresh path. Each call's cost is logged at debug level and kept in `costs`.

import * as vscode from 'vscode';

type SI = typeof import('systeminformation');

export interface HostFactsSummary {
  distro: string;
  kernel: string;
  cpus: number;
  cpuBrand: string;
  memTotal: number;
}

export interface ProcessUsage {
  cpu: number;
  memRss: number;
  memPercent: number;
}

/** Per-process usage is re-sampled at most this often (one `ps` for all processes). */
const USAGE_TTL_MS = 10_000;

export class HostFacts implements vscode.Disposable {
  private si: SI | undefined;
  private host: Promise<HostFactsSummary | undefined> | undefined;
  private usage: { at: number; byPid: Map<number, ProcessUsage> } | undefined;
  private usageInFlight: Promise<Map<number, ProcessUsage>> | undefined;
  readonly costs: { hostMs?: number; processesMs?: number; processCount?: number } = {};

  constructor(private readonly log: vscode.LogOutputChannel) {}

  private lib(): SI {
    // Loaded lazily: requiring systeminformation costs activation time we do not want to pay up front.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.si ??= require('systeminformation') as SI;
    return this.si;
  }

  hostSummary(): Promise<HostFactsSummary | undefined> {
    this.host ??= (async () => {
      const t0 = performance.now();
      try {
        const si = this.lib();
        const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()]);
        this.costs.hostMs = performance.now() - t0;
        this.log.debug(`host facts (systeminformation osInfo+cpu+mem) took ${this.costs.hostMs.toFixed(0)} ms`);
        return {
          distro: `${os.distro} ${os.release}`.trim(),
          kernel: os.kernel,
          cpus: cpu.cores,
          cpuBrand: `${cpu.manufacturer} ${cpu.brand}`.trim(),
          memTotal: mem.total,
        };
      } catch (e) {
        this.log.error('host facts unavailable:', e instanceof Error ? e : String(e));
        return undefined;
      }
    })();
    return this.host;
  }

  /** CPU/memory of one process from a shared, cached `ps` sample. */
  async processUsage(pid: number): Promise<ProcessUsage | undefined> {
    if (!this.usage || Date.now() - this.usage.at > USAGE_TTL_MS) {
      this.usageInFlight ??= (async () => {
        const t0 = performance.now();
        try {
          const data = await this.lib().processes();
          const byPid = new Map<number, ProcessUsage>();
          for (const p of data.list) byPid.set(p.pid, { cpu: p.cpu, memRss: p.memRss * 1024, memPercent: p.mem });
          this.costs.processesMs = performance.now() - t0;
          this.costs.processCount = byPid.size;
          this.log.debug(`process usage (systeminformation processes, ${byPid.size} processes) took ${this.costs.processesMs.toFixed(0)} ms`);
          this.usage = { at: Date.now(), byPid };
          return byPid;
        } finally {
          this.usageInFlight = undefined;
        }
      })();
      await this.usageInFlight;
    }
    return this.usage?.byPid.get(pid);
  }

  async processUsageText(pid: number): Promise<string | undefined> {
    const u = await this.processUsage(pid);
    if (!u) return undefined;
    return `CPU ${u.cpu.toFixed(1)} %, RSS ${formatBytes(u.memRss)} (${u.memPercent.toFixed(1)} % of memory), sampled ≤ ${USAGE_TTL_MS / 1000} s ago`;
  }

  dispose(): void {
    this.usage = undefined;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
