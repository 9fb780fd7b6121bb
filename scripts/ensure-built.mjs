// `npm start` builds first when dist/ is missing or older than the sources.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const out = 'dist/src/cli.js';
if (!existsSync(out) || statSync(out).mtimeMs < newest('src')) {
  console.log('Building (tsc)…');
  execSync('npx tsc -p .', { stdio: 'inherit' });
}
