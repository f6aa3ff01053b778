// CPU and memory of one process, for a hover: read from its own /proc/PID/stat and status (two
// files that take no lock of the process's address space), asynchronously, under a deadline.
// Never from a tool that reads every process's command line (ps, systeminformation): a command
// line is another user's text, and one library stat()ed a path taken from it on the calling
// thread, so a process named after a file on a hung FUSE mount froze the extension host.
import * as os from 'node:os';
import { readTextWithin } from './deadline';
import { parseStat, parseStatus } from './parsers/procPid';

/** USER_HZ, the unit of stat's times: 100 on every architecture Node runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100;
/** With no earlier sample of the process, the second one is taken this much later. */
export const USAGE_INTERVAL_MS = 250;

export interface UsageSample {
  /** performance.now() when read. */
  at: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** stat's starttime: tells the process from a later one with its pid. */
  startTime: number;
  /** VmRSS in bytes (null for a kernel thread or a zombie: no address space). */
  rss: number | null;
}

export interface ProcessUsage {
  /** Percent of one CPU over `overMs` (above 100 for a process busy on several). */
  cpu: number;
  overMs: number;
  rss: number | null;
  /** rss over the machine's memory, percent. */
  memPercent: number | null;
}

/** CPU percent between two samples of one process (null: not the same process, or no time passed). */
export function cpuBetween(a: UsageSample, b: UsageSample): number | null {
  if (a.startTime !== b.startTime || b.at <= a.at) return null;
  return Math.max(0, ((b.ticks - a.ticks) / CLOCK_TICKS / ((b.at - a.at) / 1000)) * 100);
}

/** One sample of pid, if it is still the process that started at `startTime` (stat's starttime; -1: any). */
export async function sampleUsage(pid: number, startTime: number, procRoot = '/proc'): Promise<UsageSample | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const read = (file: string) => readTextWithin(`${procRoot}/${pid}/${file}`);
  try {
    const stat = parseStat(await read('stat'));
    const ticks = stat?.cpuTicks;
    if (!stat || ticks === undefined || !Number.isSafeInteger(ticks) || (startTime >= 0 && stat.startTime !== startTime)) return null;
    const rss = parseStatus(await read('status')).vmRss ?? null;
    return { at: performance.now(), ticks, startTime: stat.startTime, rss };
  } catch {
    return null; // gone, or the read missed its deadline
  }
}

/**
 * CPU (since `earlier`, else over the next USAGE_INTERVAL_MS) and memory of pid, if it is still
 * the process that started at `startTime`. Returns the sample taken last too, for the next call.
 */
export async function processUsage(pid: number, startTime: number, earlier?: UsageSample | null, procRoot = '/proc'): Promise<{ usage: ProcessUsage; sample: UsageSample } | null> {
  let first = earlier && earlier.startTime === startTime && performance.now() - earlier.at >= USAGE_INTERVAL_MS ? earlier : null;
  if (!first) {
    first = await sampleUsage(pid, startTime, procRoot);
    if (!first) return null;
    await new Promise((r) => setTimeout(r, USAGE_INTERVAL_MS));
  }
  const last = await sampleUsage(pid, startTime, procRoot);
  if (!last) return null;
  const cpu = cpuBetween(first, last);
  if (cpu === null) return null;
  const total = os.totalmem();
  return { usage: { cpu, overMs: last.at - first.at, rss: last.rss, memPercent: last.rss !== null && total > 0 ? (last.rss / total) * 100 : null }, sample: last };
}
