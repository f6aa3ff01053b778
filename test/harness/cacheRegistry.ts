// A read-only npm registry on 127.0.0.1 that answers from this machine's npm cache (cacache), for
// the fresh-install layer when the public registry cannot be reached. The install under test
// still starts from an empty cache of its own and fetches every packument and tarball over HTTP,
// inside npm's lifecycle; only the upstream is local. npm checks every tarball against the
// integrity in the packument or lockfile, so a served byte that differs fails the install.
//
// cacache's layout (npm's cache): index-v5/<sha256(key) split 2/2/rest> holds lines
// `<sha1(json)>\t<json>` where json has key, integrity and metadata; the last line for a key
// wins, and a null integrity deletes. content-v2/<algo>/<hex split 2/2/rest> holds the bytes.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const UPSTREAM = 'https://registry.npmjs.org';
const FETCH_KEY = 'make-fetch-happen:request-cache:';
const TARBALL_KEY = 'pacote:tarball:';

interface Entry {
  integrity: string;
  contentType?: string;
}

export interface CacheRegistry {
  url: string;
  served: number;
  missed: string[];
  close(): Promise<void>;
}

function readIndex(cacheDir: string): Map<string, Entry | null> {
  const entries = new Map<string, Entry | null>();
  const walk = (dir: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) {
        for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
          const tab = line.indexOf('\t');
          if (tab < 0) continue;
          const json = line.slice(tab + 1);
          // A torn line (an npm killed mid-write) has a hash that does not match: cacache skips it.
          if (crypto.createHash('sha1').update(json).digest('hex') !== line.slice(0, tab)) continue;
          try {
            const e = JSON.parse(json) as { key: string; integrity: string | null; metadata?: { resHeaders?: Record<string, string> } };
            entries.set(e.key, e.integrity ? { integrity: e.integrity, contentType: e.metadata?.resHeaders?.['content-type'] } : null);
          } catch {
            /* not an entry */
          }
        }
      }
    }
  };
  walk(path.join(cacheDir, 'index-v5'));
  return entries;
}

function contentPath(cacheDir: string, integrity: string): string | undefined {
  // The strongest hash of an SRI string, as cacache stores it.
  for (const algo of ['sha512', 'sha384', 'sha256', 'sha1']) {
    const m = new RegExp(`(?:^|\\s)${algo}-([A-Za-z0-9+/=]+)`).exec(integrity);
    if (!m) continue;
    const hex = Buffer.from(m[1], 'base64').toString('hex');
    const p = path.join(cacheDir, 'content-v2', algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

// `/name/-/name-1.2.3.tgz` and `/@scope/name/-/name-1.2.3.tgz` → `name@1.2.3`, the key pacote
// stores a lockfile's tarball under.
function tarballSpec(urlPath: string): string | undefined {
  const m = /^\/((?:@[^/]+\/)?[^/@]+)\/-\/[^/]+?-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(decodeURIComponent(urlPath));
  return m ? `${m[1]}@${m[2]}` : undefined;
}

export async function startCacheRegistry(cacheDir: string): Promise<CacheRegistry> {
  const index = readIndex(cacheDir);
  const lookup = (urlPath: string): Entry | undefined => {
    for (const p of new Set([urlPath, urlPath.replace(/%2f/gi, '/'), urlPath.replace(/^\/(@[^/]+)\//, '/$1%2f')])) {
      const e = index.get(FETCH_KEY + UPSTREAM + p);
      if (e) return e;
    }
    const spec = tarballSpec(urlPath);
    const e = spec ? index.get(TARBALL_KEY + spec) : undefined;
    return e ? { integrity: e.integrity, contentType: 'application/octet-stream' } : undefined;
  };
  const reg: CacheRegistry = { url: '', served: 0, missed: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const urlPath = (req.url ?? '/').split('?')[0];
    const e = req.method === 'GET' || req.method === 'HEAD' ? lookup(urlPath) : undefined;
    const file = e ? contentPath(cacheDir, e.integrity) : undefined;
    if (!e || !file) {
      reg.missed.push(urlPath);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not in this machine\'s npm cache"}');
      return;
    }
    reg.served++;
    let body = fs.readFileSync(file);
    if (/json/.test(e.contentType ?? '')) {
      // Tarball addresses in a packument name the public registry; npm would rewrite them itself
      // (replace-registry-host), but an older npm would not.
      body = Buffer.from(body.toString('utf8').split(`${UPSTREAM}/`).join(`${reg.url}/`));
    }
    res.writeHead(200, { 'content-type': e.contentType ?? 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  reg.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  reg.close = () => new Promise((resolve) => server.close(() => resolve()));
  return reg;
}

// Whether the public registry answers (a packument fetch, not a DNS lookup: an unreachable host
// can still resolve).
export async function registryReachable(timeoutMs = 15_000): Promise<{ ok: boolean; why: string }> {
  try {
    const r = await fetch(`${UPSTREAM}/npm`, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return { ok: r.ok, why: `HTTP ${r.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return { ok: false, why: err.cause?.code ?? err.name ?? String(e) };
  }
}
