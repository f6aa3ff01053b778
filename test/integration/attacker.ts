// An unprivileged "attacker" for the tests: a Perl process running as `nobody` (setpriv, no
// groups) that names itself and creates objects with hostile names, as any local user could —
// POSIX shm files in /dev/shm, SysV semaphore sets as large as the kernel allows — prints what it
// made as one JSON line, and holds everything until its stdin closes (then removes it all).
// Perl (core modules only) rather than the fixture binary: it needs nothing from the checkout,
// so it runs wherever the checkout lives. Needs root (to drop to nobody), setpriv and perl.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export const NOBODY_UID = 65534;

export interface AttackerSpec {
  /** Process name (prctl PR_SET_NAME through $0; the kernel keeps 15 bytes). */
  comm?: string;
  /** Names of files to create in /dev/shm (POSIX shared memory objects), 16 bytes each. */
  shm?: string[];
  /** SysV semaphore sets to create, each of `nsems` semaphores. */
  semSets?: number;
  nsems?: number;
}

export interface Attacker {
  pid: number;
  uid: number;
  /** Full paths of the /dev/shm files. */
  files: string[];
  /** semids of the SysV sets. */
  sems: number[];
  /** Closes stdin: the attacker removes its objects and exits (killed and cleaned up after 5 s). */
  close(): Promise<void>;
}

const SCRIPT = String.raw`
use strict; use warnings;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_RMID);
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use JSON::PP;
my $spec = JSON::PP->new->utf8->decode($ARGV[0]);
if (defined $spec->{comm}) { my $c = $spec->{comm}; utf8::encode($c); $0 = $c; }
my (@files, @sems);
my $cleanup = sub { unlink @files; semctl($_, 0, IPC_RMID, 0) for @sems; };
$SIG{TERM} = sub { $cleanup->(); exit 0 };
for my $n (@{$spec->{shm} // []}) {
  my $p = "/dev/shm/$n"; utf8::encode($p);
  sysopen(my $fh, $p, O_CREAT | O_EXCL | O_WRONLY, 0644) or do { $cleanup->(); die "open $p: $!\n" };
  print $fh "x" x 16; close $fh; push @files, $p;
}
for (1 .. ($spec->{semSets} // 0)) {
  my $id = semget(IPC_PRIVATE, $spec->{nsems}, 0600 | IPC_CREAT);
  defined $id or do { $cleanup->(); die "semget: $!\n" };
  push @sems, $id;
}
$| = 1;
print JSON::PP->new->ascii->encode({ pid => $$, files => [map { my $x = $_; utf8::decode($x); $x } @files], sems => \@sems }), "\n";
while (<STDIN>) {}
$cleanup->();
`;

/** Root, setpriv and perl are there: attacker tests can run. */
export function canRunAttacker(): boolean {
  return (
    process.geteuid?.() === 0 &&
    spawnSync('setpriv', ['--reuid', String(NOBODY_UID), '--regid', String(NOBODY_UID), '--clear-groups', '--', 'perl', '-MJSON::PP', '-MIPC::SysV', '-e', '1']).status === 0
  );
}

export function startAttacker(spec: AttackerSpec): Promise<Attacker> {
  const child: ChildProcess = spawn(
    'setpriv',
    ['--reuid', String(NOBODY_UID), '--regid', String(NOBODY_UID), '--clear-groups', '--', 'perl', '-e', SCRIPT, JSON.stringify(spec)],
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' },
  );
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null) => reject(new Error(`attacker exited (${code}) before it was ready: ${err.trim()}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.stdout!.on('data', (b) => {
      out += b;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.removeListener('exit', onExit);
      const info = JSON.parse(out.slice(0, nl)) as { pid: number; files: string[]; sems: number[] };
      let closed: Promise<void> | undefined;
      resolve({
        ...info,
        uid: NOBODY_UID,
        close: () =>
          (closed ??= new Promise<void>((done) => {
            // Killed or gone early: remove what it made, as root (after a clean exit 0 it did so
            // itself, and a semid it freed may already belong to someone else).
            const sweep = () => {
              if (child.exitCode !== 0) {
                for (const f of info.files) fs.rmSync(f, { force: true });
                for (const id of info.sems) spawnSync('ipcrm', ['-s', String(id)], { stdio: 'ignore' });
              }
              done();
            };
            if (child.exitCode !== null || child.signalCode !== null) return sweep();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              sweep();
            });
            child.stdin!.end();
          })),
      });
    });
  });
}
