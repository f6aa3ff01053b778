// Why the BPF walk cannot run in this test process, or false when it can: no addon, not root
// (CAP_BPF and CAP_PERFMON), or the kernel refuses the program (bpfProbe). A test that needs it
// skips with this reason; the same tests on the /proc walk run everywhere.
import { loadBpf, loadNative } from '../../src/core/native';

export async function bpfWalkSkip(): Promise<string | false> {
  const native = loadNative();
  const bpf = loadBpf();
  if (!native.addon) return `no native addon (${native.error})`;
  if (!bpf.addon) return `no BPF addon (${bpf.error})`;
  if (process.geteuid?.() !== 0) return 'the BPF walk needs root';
  const probe = await bpf.addon.bpfProbe();
  return probe.ok ? false : `the BPF walk cannot run here: ${probe.reason}`;
}
