// Removing SysV objects by id, on real queues, segments and semaphore sets: through the addon
// (IPC_STAT, compare, IPC_RMID in one native call; no ipcrm needed), refused when the id names
// another object than the snapshot saw, and through ipcrm when the addon is absent.
//
// The attacker (nobody) frees an id between the snapshot and root's yes and gets another object
// put under it. An id comes back only after the kernel's sequence wraps at its slot (65,536
// creations: seconds for a loop, but not reliably beside other tests' objects), so the test, as
// root, sets kernel.{msg,shm,sem}_next_id to the freed id before the re-creation: the object the
// loop would have got, made at once.
import { describe, test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

import { takeSnapshot } from '../../src/core/snapshot';
import { removeObject } from '../../src/core/actions';
import { loadNative, type NativeAddon } from '../../src/core/native';
import type { Channel } from '../../src/core/model';
import { NOBODY, NOBODY_UID, cannotActAsNobody, stageForOtherUsers } from '../harness/otherUser';

type Family = 'msg' | 'shm' | 'sem';
const FAMILIES: Family[] = ['msg', 'shm', 'sem'];
const KIND = { msg: 'sysv-msg', shm: 'sysv-shm', sem: 'sysv-sem' } as const;
const CTL = { msg: 'msgctl', shm: 'shmctl', sem: 'semctl' } as const;
const FLAG = { msg: '-q', shm: '-m', sem: '-s' } as const;

const noNative = loadNative().addon?.sysvRemoveIf ? false : `native addon without sysvRemoveIf (${loadNative().error ?? 'an older build'})`;
const noNobody = cannotActAsNobody();

// keys of this run only: other tests' and other runs' objects never share them
let nextKey = 0x5e000000 + (process.pid % 0x10000) * 16;
const newKey = () => nextKey++;

// Perl, as root or as nobody: create (IPC_CREAT|IPC_EXCL, mode 0666: nobody may read root's too),
// remove, give to another owner (IPC_SET: the owner may give an object to anyone; its creator
// stays), set a semaphore's value.
const CREATE: Record<Family, string> = {
  msg: 'msgget($ARGV[0], IPC_CREAT|IPC_EXCL|0666)',
  shm: 'shmget($ARGV[0], 4096, IPC_CREAT|IPC_EXCL|0666)',
  sem: 'semget($ARGV[0], 2, IPC_CREAT|IPC_EXCL|0666)',
};
const RMID: Record<Family, string> = { msg: 'msgctl($ARGV[0], IPC_RMID, 0)', shm: 'shmctl($ARGV[0], IPC_RMID, 0)', sem: 'semctl($ARGV[0], 0, IPC_RMID, 0)' };
const GIVE: Record<Family, string> = {
  msg: 'msgctl($ARGV[0], IPC_STAT, my $b) or die $!; my $s = "IPC::Msg::stat"->new->unpack($b); $s->uid($ARGV[1]); msgctl($ARGV[0], IPC_SET, $s->pack) or die $!',
  shm: 'shmctl($ARGV[0], IPC_STAT, my $b) or die $!; my $s = "IPC::SharedMem::stat"->new->unpack($b); $s->uid($ARGV[1]); shmctl($ARGV[0], IPC_SET, $s->pack) or die $!',
  sem: 'semctl($ARGV[0], 0, IPC_STAT, my $b) or die $!; my $s = "IPC::Semaphore::stat"->new->unpack($b); $s->uid($ARGV[1]); semctl($ARGV[0], 0, IPC_SET, $s->pack) or die $!',
};
const PERL_ARGS = ['-MIPC::SysV=:all', '-MIPC::Msg', '-MIPC::SharedMem', '-MIPC::Semaphore', '-e'];

function perl(code: string, ...args: Array<string | number>): string {
  return execFileSync('perl', [...PERL_ARGS, code, ...args.map(String)], { encoding: 'utf8' });
}
function perlAsNobody(code: string, ...args: Array<string | number>): string {
  const r = spawnSync('perl', [...PERL_ARGS, code, ...args.map(String)], { ...NOBODY, cwd: '/', encoding: 'utf8' });
  assert.equal(r.status, 0, `as nobody: ${code}: ${r.stderr}`);
  return r.stdout;
}
const create = (f: Family, key: number, asNobody = false): number => Number((asNobody ? perlAsNobody : perl)(`print ${CREATE[f]} // die $!`, key));

/** The ids /proc/sysvipc lists for a family, with key, owner and creator. */
function listed(f: Family): Map<number, { key: number; uid: number; cuid: number }> {
  const rows = fs.readFileSync(`/proc/sysvipc/${f}`, 'utf8').trim().split('\n');
  const head = rows[0].trim().split(/\s+/);
  const col = (r: string[], name: string) => Number(r[head.indexOf(name)]);
  const idCol = { msg: 'msqid', shm: 'shmid', sem: 'semid' }[f];
  return new Map(rows.slice(1).map((l) => l.trim().split(/\s+/)).map((r) => [col(r, idCol), { key: col(r, 'key'), uid: col(r, 'uid'), cuid: col(r, 'cuid') }]));
}

/** The change time /proc/sysvipc shows of `id` (seconds). */
function ctimeOf(f: Family, id: number): number {
  const rows = fs.readFileSync(`/proc/sysvipc/${f}`, 'utf8').trim().split('\n');
  const head = rows[0].trim().split(/\s+/);
  const row = rows.slice(1).map((l) => l.trim().split(/\s+/)).find((r) => Number(r[1]) === id);
  assert.ok(row, `${f} ${id} listed`);
  return Number(row[head.indexOf('ctime')]);
}

/** The object `id` now, or undefined. */
const now = (f: Family, id: number) => listed(f).get(id);

/** Creates the next object of family `f` under `id` (kernel.F_next_id: what the sequence's wrap would give). */
function createAt(f: Family, id: number, key: number, asNobody: boolean): number {
  // used up by the creation (it goes back to -1, which cannot be written)
  fs.writeFileSync(`/proc/sys/kernel/${f}_next_id`, String(id));
  return create(f, key, asNobody);
}

async function snapshotOf(f: Family, id: number): Promise<Channel> {
  const snap = await takeSnapshot({ kinds: [KIND[f]] });
  const ch = snap.channels.find((c) => c.id === `${KIND[f]}:${id}`);
  assert.ok(ch, `${KIND[f]} ${id} listed`);
  return ch;
}

const made: Array<[Family, number]> = [];
after(() => {
  for (const [f, id] of made) {
    try {
      perl(RMID[f], id);
    } catch {
      /* removed by the test */
    }
  }
});

describe('remove SysV objects through the addon', { skip: noNative }, () => {
  for (const f of FAMILIES) {
    test(`${f}: removed with ${CTL[f]}(IPC_RMID), no ipcrm needed`, async () => {
      const id = create(f, newKey());
      made.push([f, id]);
      const ch = await snapshotOf(f, id);
      const addon = loadNative().addon!;
      const stat = await addon.sysvStat!(f, id);
      assert.deepEqual({ key: stat.key, uid: stat.uid, cuid: stat.cuid }, { key: (ch as { key: number }).key, uid: 0, cuid: 0 }, 'sysvStat: what the id names');
      const r = await removeObject(ch, { ipcrm: '/nonexistent/ipcrm' });
      assert.equal(r.action, `${CTL[f]}(${id}, IPC_RMID)`);
      assert.equal(now(f, id), undefined, 'removed');
      await assert.rejects(addon.sysvStat!(f, id), (e: { code?: string; syscall?: string }) => e.code === 'EINVAL' && e.syscall === CTL[f], 'sysvStat of a removed id: EINVAL, named after its call');
    });
  }

  for (const f of FAMILIES) {
    test(`${f}: the attacker frees the id and another user's object takes it, with the key and owner the snapshot saw — nothing removed`, { skip: noNobody }, async () => {
      const key = newKey();
      // nobody makes an object and gives it to root: the user sees root's object, with key `key`
      const id = create(f, key, true);
      made.push([f, id]);
      perlAsNobody(GIVE[f], id, 0);
      const seen = await snapshotOf(f, id);
      assert.deepEqual(now(f, id), { key, uid: 0, cuid: NOBODY_UID });
      // between the snapshot and the yes: nobody removes it (its creator may), root's own object
      // with the same key comes under the id
      perlAsNobody(RMID[f], id);
      const victim = createAt(f, id, key, false);
      made.push([f, victim]);
      assert.equal(victim, id, 'the same id');
      assert.deepEqual(now(f, id), { key, uid: 0, cuid: 0 }, 'same key and owner: only the creator differs');
      await assert.rejects(removeObject(seen), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'ESTALE', e.message);
        // (its change time too, when a second began in between)
        assert.match(e.message, /another object than the snapshot saw \(creator uid 65534(, changed [^;]*)?; now creator uid 0(, changed [^)]*)?\); nothing removed/);
        return true;
      });
      assert.deepEqual(now(f, id), { key, uid: 0, cuid: 0 }, "root's object is still there");
    });
  }

  for (const f of ['msg', 'shm'] as const) {
    test(`${f}: the attacker re-creates its object under the same id and key a second later — nothing removed; a fresh snapshot removes it`, { skip: noNobody }, async () => {
      const key = newKey();
      const id = create(f, key, true);
      made.push([f, id]);
      const seen = await snapshotOf(f, id);
      const changed = ctimeOf(f, id);
      // the next second (ctime counts seconds): a clock to wait for, no duration asserted
      while (Math.floor(Date.now() / 1000) <= changed) await new Promise((r) => setTimeout(r, 50));
      perlAsNobody(RMID[f], id);
      assert.equal(createAt(f, id, key, true), id, 'the same id');
      assert.deepEqual(now(f, id), { key, uid: NOBODY_UID, cuid: NOBODY_UID }, 'same key, owner and creator');
      await assert.rejects(removeObject(seen), (e: { code?: string; message: string }) => e.code === 'ESTALE' && /changed .*re-created, or its owner changed it .*nothing removed/.test(e.message));
      assert.ok(now(f, id), 'the new object is still there');
      const fresh = await snapshotOf(f, id);
      await removeObject(fresh);
      assert.equal(now(f, id), undefined, 'the object the fresh snapshot saw is removed');
    });
  }

  test("sem: its owner setting a value (SETVAL moves the set's change time) does not stop the removal", async () => {
    const id = create('sem', newKey());
    made.push(['sem', id]);
    const seen = await snapshotOf('sem', id);
    const changed = ctimeOf('sem', id);
    while (Math.floor(Date.now() / 1000) <= changed) await new Promise((r) => setTimeout(r, 50));
    perl('semctl($ARGV[0], 0, SETVAL, 3) or die $!', id);
    await removeObject(seen);
    assert.equal(now('sem', id), undefined, 'removed');
  });

  for (const f of FAMILIES) {
    test(`${f}: an object removed since the snapshot is said to be gone, through the addon and through ipcrm`, async () => {
      for (const native of [undefined, null]) {
        const id = create(f, newKey());
        made.push([f, id]);
        const seen = await snapshotOf(f, id);
        perl(RMID[f], id);
        await assert.rejects(removeObject(seen, { native }), (e: { code?: string; message: string }) => e.code === 'ENOENT' && /is gone: removed since the snapshot; nothing to do/.test(e.message), `native ${native}`);
      }
    });
  }

  test("not the caller's to remove: EPERM, said as such, nothing removed", { skip: noNobody }, async () => {
    const id = create('msg', newKey());
    made.push(['msg', id]);
    const seen = await snapshotOf('msg', id);
    // the addon's own call, made by nobody on root's queue (what an unprivileged user's extension
    // gets), handed to the removal as its addon's answer
    const staged = stageForOtherUsers([[loadNative().path!, 'ipc_inspector.node']]);
    try {
      const asNobody = (family: string, qid: number, expect: object) => {
        const script = `require(${JSON.stringify(staged.path('ipc_inspector.node'))}).sysvRemoveIf(...JSON.parse(process.argv[1])).then((r) => console.log(JSON.stringify({ r })), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
        const r = spawnSync(process.execPath, ['-e', script, JSON.stringify([family, qid, expect])], { ...NOBODY, cwd: '/', encoding: 'utf8' });
        const out = JSON.parse(r.stdout) as { r?: unknown; code?: string; message?: string };
        return out.code ? Promise.reject(Object.assign(new Error(out.message), { code: out.code })) : Promise.resolve(out.r);
      };
      const native = { ...loadNative().addon!, sysvRemoveIf: asNobody } as unknown as NativeAddon;
      await assert.rejects(removeObject(seen, { native }), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'EPERM', e.message);
        assert.match(e.message, /permission denied \(EPERM\): only its owner, its creator or root may remove it; nothing removed/);
        return true;
      });
    } finally {
      staged.remove();
    }
    assert.ok(now('msg', id), 'still there');
  });
});

describe('remove SysV objects without the addon: ipcrm, after the same check', () => {
  for (const f of FAMILIES) {
    test(`${f}: ipcrm ${FLAG[f]}, and the result says what the fallback does not guarantee`, async () => {
      const id = create(f, newKey());
      made.push([f, id]);
      const ch = await snapshotOf(f, id);
      const r = await removeObject(ch, { native: null });
      assert.match(r.action, new RegExp(`^ipcrm \\${FLAG[f]} ${id} \\(the native addon is not loaded \\(disabled by the caller\\): .*ipcrm removes whatever the id names by the time it runs\\)$`));
      assert.equal(now(f, id), undefined, 'removed');
    });
  }

  test("another user's object under the id, with the key and owner seen: refused in /proc/sysvipc too", { skip: noNobody }, async () => {
    const key = newKey();
    const id = create('msg', key, true);
    made.push(['msg', id]);
    perlAsNobody(GIVE.msg, id, 0);
    const seen = await snapshotOf('msg', id);
    perlAsNobody(RMID.msg, id);
    assert.equal(createAt('msg', id, key, false), id, 'the same id');
    await assert.rejects(removeObject(seen, { native: null }), (e: { code?: string; message: string }) => e.code === 'ESTALE' && /creator uid 65534(, changed [^;]*)?; now creator uid 0/.test(e.message));
    assert.ok(now('msg', id), "root's queue is still there");
  });
});
