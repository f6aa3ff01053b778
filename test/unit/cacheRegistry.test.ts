// The fresh-install layer's local registry (test/harness/cacheRegistry.ts): it answers from an npm
// cache laid out as cacache lays it out, so that a layer run while registry.npmjs.org is down still
// installs from an empty cache of its own. Here a cache is written by hand, as npm writes one.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { startCacheRegistry } from '../harness/cacheRegistry';

/** Stores `body` under `key` the way cacache does; `torn` writes a line whose hash does not match. */
function put(cache: string, key: string, body: Buffer | null, opts: { contentType?: string; torn?: boolean } = {}): void {
  let integrity: string | null = null;
  if (body) {
    const digest = crypto.createHash('sha512').update(body).digest();
    integrity = `sha512-${digest.toString('base64')}`;
    const hex = digest.toString('hex');
    const dir = path.join(cache, 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, hex.slice(4)), body);
  }
  const bucket = crypto.createHash('sha256').update(key).digest('hex');
  const dir = path.join(cache, 'index-v5', bucket.slice(0, 2), bucket.slice(2, 4));
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ key, integrity, time: Date.now(), size: body?.length ?? 0, metadata: opts.contentType ? { resHeaders: { 'content-type': opts.contentType } } : {} });
  const hash = opts.torn ? '0'.repeat(40) : crypto.createHash('sha1').update(json).digest('hex');
  fs.appendFileSync(path.join(dir, bucket.slice(4)), `\n${hash}\t${json}`);
}

test('serves packuments (tarball addresses pointed at itself), tarballs by URL and by a lockfile’s name@version; a torn or deleted entry is not served', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-cachereg-'));
  try {
    const up = 'https://registry.npmjs.org';
    const packument = Buffer.from(JSON.stringify({ name: '@s/a', versions: { '1.0.0': { dist: { tarball: `${up}/@s/a/-/a-1.0.0.tgz` } } } }));
    put(cache, `make-fetch-happen:request-cache:${up}/@s%2fa`, packument, { contentType: 'application/json' });
    put(cache, `make-fetch-happen:request-cache:${up}/@s/a/-/a-1.0.0.tgz`, Buffer.from('tarball a'));
    put(cache, 'pacote:tarball:b@2.3.4-rc.1', Buffer.from('tarball b'));
    put(cache, `make-fetch-happen:request-cache:${up}/c`, Buffer.from('{"name":"c"}'), { contentType: 'application/json' });
    put(cache, `make-fetch-happen:request-cache:${up}/c`, null); // removed later (npm cache clean)
    put(cache, `make-fetch-happen:request-cache:${up}/d`, Buffer.from('{"name":"d"}'), { contentType: 'application/json', torn: true });
    const reg = await startCacheRegistry(cache);
    try {
      const get = async (p: string) => {
        const r = await fetch(reg.url + p);
        return { status: r.status, body: await r.text() };
      };
      const pk = await get('/@s%2fa');
      assert.equal(pk.status, 200);
      assert.equal(JSON.parse(pk.body).versions['1.0.0'].dist.tarball, `${reg.url}/@s/a/-/a-1.0.0.tgz`);
      assert.deepEqual(await get('/@s/a/-/a-1.0.0.tgz'), { status: 200, body: 'tarball a' });
      assert.deepEqual(await get('/b/-/b-2.3.4-rc.1.tgz'), { status: 200, body: 'tarball b' });
      assert.equal((await get('/c')).status, 404);
      assert.equal((await get('/d')).status, 404);
      assert.equal((await get('/nothing')).status, 404);
      assert.equal(reg.served, 3);
      assert.deepEqual(reg.missed, ['/c', '/d', '/nothing']);
    } finally {
      await reg.close();
    }
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
