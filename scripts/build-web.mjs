// Builds the web console (web/ → dist/web) with Vite. Runs at `npm ci` (prepare), in
// `npm run build`, `npm test` and `npm start` (ensure-built). Without the dev dependencies
// (npm ci --omit=dev) it says so and leaves the API to run without the console.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let vite;
try {
  require.resolve('vite/package.json');
  vite = await import('vite');
} catch {
  console.warn('web console not built: vite is not installed (install the dev dependencies with `npm ci`).');
  process.exit(0);
}
if (!existsSync('web/vite.config.ts')) process.exit(0);
const t = Date.now();
await vite.build({ configFile: 'web/vite.config.ts', logLevel: 'warn' });
console.log(`web console built into dist/web in ${((Date.now() - t) / 1000).toFixed(1)} s`);
