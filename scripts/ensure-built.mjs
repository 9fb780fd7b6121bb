// `npm start` builds first when dist/ is missing or older than the sources (server and console).
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
const stale = (out, ...dirs) => !existsSync(out) || statSync(out).mtimeMs < Math.max(...dirs.map(newest));
if (stale('dist/src/cli.js', 'src')) {
  console.log('Building (tsc)…');
  execSync('npx tsc -p .', { stdio: 'inherit' });
}
if (existsSync('web') && stale('dist/web/index.html', 'web')) {
  console.log('Building the web console…');
  execSync('node scripts/build-web.mjs', { stdio: 'inherit' });
}
