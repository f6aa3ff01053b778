// Shared helpers for unit tests: where captured /proc text lives.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** test/unit/data, from the bundled test in dist/test/unit or from the source tree. */
export const DATA_DIR = (() => {
  for (const p of [path.resolve(__dirname, '../../../test/unit/data'), path.resolve(__dirname, 'data')]) if (fs.existsSync(p)) return p;
  return path.resolve(__dirname, '../../../test/unit/data');
})();

export function data(name: string): string {
  return fs.readFileSync(path.join(DATA_DIR, name), 'utf8');
}
