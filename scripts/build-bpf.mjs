// The BPF half of the native build (called by build-native.mjs; one step for every program):
// each native/bpf/<name>.bpf.c is compiled with clang (CO-RE, against a vmlinux.h generated here
// from the build machine's kernel BTF), linked with `bpftool gen object` (drops DWARF, keeps BTF)
// and turned into native/build/bpf/<name>.skel.h with `bpftool gen skeleton` — the object file
// embedded as bytes, so the addon carries its programs. programs.h says which ones compiled;
// report.json says, per program, whether it was built and why not.
//
// Never fails the install: when a tool is missing it installs clang, libbpf-dev and bpftool with
// apt-get if it runs as root (IPC_INSPECTOR_NO_APT=1 forbids that), and otherwise reports why the
// addon is built without BPF. IPC_INSPECTOR_BPF=0 skips BPF altogether; IPC_INSPECTOR_CLANG and
// IPC_INSPECTOR_BPFTOOL name other binaries (e.g. clang-16).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Debian/Ubuntu packages that provide what the BPF build needs (libbpf-dev pulls libelf-dev and zlib1g-dev). */
export const BPF_PACKAGES = ['clang', 'libbpf-dev', 'bpftool'];

const ARCH = { x64: 'x86', arm64: 'arm64', s390x: 's390', ppc64: 'powerpc', riscv64: 'riscv', loong64: 'loongarch' };
const BTF = '/sys/kernel/btf/vmlinux';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { ok: r.status === 0 && !r.error, status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error.message) : '') };
}

/** A command on PATH or in the sbin directories non-root PATHs often lack. */
function which(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? cmd : null;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Can a C program include libbpf's headers and link -lbpf? (the truth, whatever the distribution's layout) */
function libbpfLinks(tmp) {
  const cc = which('cc') ?? which('gcc') ?? which('clang');
  if (!cc) return { ok: false, why: 'no C compiler' };
  const src = path.join(tmp, 'probe.c');
  fs.writeFileSync(src, '#include <bpf/libbpf.h>\nint main(void) { return libbpf_major_version() > 0 ? 0 : 1; }\n');
  const r = run(cc, [src, '-o', path.join(tmp, 'probe'), '-lbpf']);
  return r.ok ? { ok: true } : { ok: false, why: (r.stderr.split('\n').find((l) => /error|cannot find/.test(l)) ?? r.stderr).trim() };
}

function toolsState(tmp) {
  const clang = which(process.env.IPC_INSPECTOR_CLANG || 'clang');
  const bpftool = which(process.env.IPC_INSPECTOR_BPFTOOL || 'bpftool');
  const lib = libbpfLinks(tmp);
  const missing = [];
  if (!clang) missing.push('clang');
  if (!lib.ok) missing.push('libbpf-dev');
  if (!bpftool) missing.push('bpftool');
  return { clang, bpftool, lib, missing };
}

function aptInstall(pkgs, log) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-q', '--no-install-recommends', ...pkgs];
  log(`installing ${pkgs.join(' ')} with apt-get (running as root; IPC_INSPECTOR_NO_APT=1 prevents this)`);
  let r = run('apt-get', args, { env, timeout: 15 * 60_000 });
  if (!r.ok) {
    // a fresh image has no package lists yet
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update', '-q'], { env, timeout: 10 * 60_000 });
    r = run('apt-get', args, { env, timeout: 15 * 60_000 });
  }
  if (!r.ok) log(`apt-get install failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return r.ok;
}

/**
 * Prepares native/build/bpf/ (vmlinux.h, objects, skeletons, programs.h, report.json).
 * Returns { enabled, reason, programs } — enabled = at least one program built, so the gyp
 * variable ipci_bpf=1 adds the BPF addon target.
 */
export function prepareBpf({ nativeDir, log = (m) => console.log(`[bpf] ${m}`) }) {
  const outDir = path.join(nativeDir, 'build', 'bpf');
  fs.mkdirSync(outDir, { recursive: true });
  const sources = fs.existsSync(path.join(nativeDir, 'bpf'))
    ? fs.readdirSync(path.join(nativeDir, 'bpf')).filter((f) => f.endsWith('.bpf.c')).sort()
    : [];
  const names = sources.map((f) => f.slice(0, -'.bpf.c'.length));
  const report = { built: false, reason: '', programs: {}, tools: {}, installed: [] };
  const finish = (reason) => {
    const built = Object.values(report.programs).some((p) => p.built);
    report.built = built;
    report.reason = built ? '' : reason;
    const defs = names.map((n) => `#define IPCI_BPF_HAVE_${n.toUpperCase()} ${report.programs[n]?.built ? 1 : 0}`);
    const list = names.map((n) => `{${JSON.stringify(n)}, ${report.programs[n]?.built ? 'true' : 'false'}}`).join(', ');
    fs.writeFileSync(
      path.join(outDir, 'programs.h'),
      `// generated by scripts/build-bpf.mjs: which native/bpf/*.bpf.c compiled into a skeleton\n#pragma once\n${defs.join('\n')}\n#define IPCI_BPF_PROGRAM_LIST ${list}\n`,
    );
    fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    if (!built) log(`the addon is built without BPF: ${reason}`);
    return { enabled: built, reason: report.reason, programs: report.programs };
  };
  for (const n of names) report.programs[n] = { built: false, reason: 'not attempted' };

  if (process.env.IPC_INSPECTOR_BPF === '0') return finish('disabled (IPC_INSPECTOR_BPF=0)');
  if (process.platform !== 'linux') return finish(`not Linux (${process.platform})`);
  if (names.length === 0) return finish('no native/bpf/*.bpf.c');
  const arch = ARCH[process.arch];
  if (!arch) return finish(`no BPF target arch for ${process.arch}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-bpf-'));
  try {
    let t = toolsState(tmp);
    if (t.missing.length > 0) {
      const root = typeof process.getuid === 'function' && process.getuid() === 0;
      const pkgs = BPF_PACKAGES.filter((p) => t.missing.includes(p));
      if (root && process.env.IPC_INSPECTOR_NO_APT !== '1' && which('apt-get')) {
        if (aptInstall(pkgs, log)) report.installed = pkgs;
        t = toolsState(tmp);
      }
      if (t.missing.length > 0) {
        const why = t.missing.includes('libbpf-dev') && t.lib.why ? ` (libbpf: ${t.lib.why})` : '';
        return finish(`missing ${t.missing.join(', ')}${why}; as root: apt-get install ${BPF_PACKAGES.join(' ')}`);
      }
    }
    report.tools = {
      clang: run(t.clang, ['--version']).stdout.split('\n')[0].trim(),
      bpftool: run(t.bpftool, ['version']).stdout.split('\n')[0].trim(),
    };
    const vmlinux = path.join(outDir, 'vmlinux.h');
    const given = process.env.IPC_INSPECTOR_VMLINUX_H;
    if (given) fs.copyFileSync(given, vmlinux);
    else {
      if (!fs.existsSync(BTF)) return finish(`no kernel BTF at ${BTF} to generate vmlinux.h from (or set IPC_INSPECTOR_VMLINUX_H)`);
      const r = run(t.bpftool, ['btf', 'dump', 'file', BTF, 'format', 'c']);
      if (!r.ok) return finish(`bpftool btf dump failed: ${r.stderr.trim().split('\n').pop()}`);
      fs.writeFileSync(vmlinux, r.stdout);
    }
    for (const n of names) {
      const src = path.join(nativeDir, 'bpf', `${n}.bpf.c`);
      const obj = path.join(outDir, `${n}.bpf.o`);
      const linked = path.join(outDir, `${n}.o`);
      const cc = run(t.clang, ['-g', '-O2', '-target', 'bpf', `-D__TARGET_ARCH_${arch}`, '-Wall', '-I', outDir, '-I', path.join(nativeDir, 'bpf'), '-c', src, '-o', obj]);
      if (!cc.ok) {
        report.programs[n] = { built: false, reason: `clang: ${cc.stderr.split('\n').filter((l) => l.includes('error')).slice(0, 3).join(' | ') || cc.stderr.trim()}` };
        log(`${n}: ${report.programs[n].reason}`);
        continue;
      }
      const link = run(t.bpftool, ['gen', 'object', linked, obj]);
      if (!link.ok) {
        report.programs[n] = { built: false, reason: `bpftool gen object: ${link.stderr.trim().split('\n').pop()}` };
        continue;
      }
      const skel = run(t.bpftool, ['gen', 'skeleton', linked, 'name', `ipci_${n}`]);
      if (!skel.ok) {
        report.programs[n] = { built: false, reason: `bpftool gen skeleton: ${skel.stderr.trim().split('\n').pop()}` };
        continue;
      }
      fs.writeFileSync(path.join(outDir, `${n}.skel.h`), skel.stdout);
      report.programs[n] = { built: true, objectBytes: fs.statSync(linked).size };
      log(`${n}: built (${fs.statSync(linked).size} bytes of BPF object embedded)`);
    }
    return finish('no BPF program compiled (see programs in report.json)');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Marks every program of an existing report as not built (the addon build with BPF failed). */
export function markBpfFailed(nativeDir, reason) {
  const outDir = path.join(nativeDir, 'build', 'bpf');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'report.json');
  let report = { programs: {} };
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    /* none yet */
  }
  for (const p of Object.values(report.programs ?? {})) Object.assign(p, { built: false, reason });
  report.built = false;
  report.reason = reason;
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
