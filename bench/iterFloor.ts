// The BPF iterator's floor (iterfloor.bpf.c + iterfloor.c): one read pass of a task_file iterator
// that writes 16 bytes per open file and reads nothing past the inode, timed inside its program
// as the /proc floor is. It is the least any BPF fd walk pays on this kernel, so the bench can
// say how much of our snapshot is the kernel's visit and how much is ours. Built at bench time
// with clang against the vmlinux.h of the addon's build; where that cannot be (no clang, no
// libbpf, no BPF build, not root) the bench says why and goes on without it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchSourceDir, compileC } from './cc';

export interface IterFloorResult {
  ms: number;
  cpuMs: number;
  records: number;
}

export class IterFloor {
  private constructor(
    private readonly bin: string,
    private readonly obj: string,
  ) {}

  /** The floor built in `tmp`, or why it cannot be. */
  static build(tmp: string): IterFloor | { reason: string } {
    if (process.geteuid?.() !== 0) return { reason: 'not root (loading a BPF iterator needs CAP_BPF and CAP_PERFMON)' };
    const vmlinux = path.join(benchSourceDir(), '..', 'native', 'build', 'bpf', 'vmlinux.h');
    if (!fs.existsSync(vmlinux)) return { reason: `no ${path.relative(process.cwd(), vmlinux)} (the addon was built without BPF)` };
    const arch = ({ x64: 'x86', arm64: 'arm64', s390x: 's390', ppc64: 'powerpc', riscv64: 'riscv' } as Record<string, string>)[process.arch];
    if (!arch) return { reason: `no BPF target for ${process.arch}` };
    const obj = path.join(tmp, 'iterfloor.bpf.o');
    try {
      execFileSync(process.env.IPC_INSPECTOR_CLANG || 'clang', ['-g', '-O2', '-target', 'bpf', `-D__TARGET_ARCH_${arch}`, '-I', path.dirname(vmlinux), '-c', path.join(benchSourceDir(), 'iterfloor.bpf.c'), '-o', obj], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      return new IterFloor(compileC('iterfloor.c', tmp, ['-lbpf']), obj);
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      return { reason: `build failed: ${(err.stderr?.toString() || err.message).split('\n').find((l) => l.trim()) ?? ''}` };
    }
  }

  run(): IterFloorResult {
    return JSON.parse(execFileSync(this.bin, [this.obj], { encoding: 'utf8' })) as IterFloorResult;
  }
}
