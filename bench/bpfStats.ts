// kernel.bpf_stats_enabled on for one part of a bench, then back as it was: the kernel counts BPF
// programs' runs and run time only while it is 1, and it adds its own cost to every run of every
// program on the machine, so it is the machine's setting, held no longer than the part measured.
import * as fs from 'node:fs';

const STATS = '/proc/sys/kernel/bpf_stats_enabled';

/** Runs `part` with the statistics on; `off` says why they could not be turned on (they were not). */
export async function withBpfStats<T>(part: (off?: string) => Promise<T>): Promise<T> {
  let was: string;
  try {
    was = fs.readFileSync(STATS, 'utf8').trim();
    fs.writeFileSync(STATS, '1');
  } catch (e) {
    return part(`${STATS}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return await part();
  } finally {
    fs.writeFileSync(STATS, was);
  }
}
