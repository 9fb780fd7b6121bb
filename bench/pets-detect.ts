// Pet detection: the share of cat photos and dog photos of the shared pets set in which
// CenterNet finds an animal of the right species (and of the wrong one), and false cats/dogs on
// people photos (caltech + london), swept over the animal score cut. Reads the detections
// cached by scripts/pets/extract-features.ts (cached at a low cut, so the sweep is exact);
// run that first (it resumes) or let this run it.
//
//   npx tsc -p . && node dist/bench/pets-detect.js        (npm run bench -- pets-detect)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DETECT } from '../src/identity/pets/vision.js';
import { FEATURES_FILE, readFeatures, readPeople, type CachedDetection, type CachedPhoto } from '../scripts/pets/cache.js';

type CachedPhotoWithDetections = CachedPhoto & { detections: CachedDetection[] };

const OUT_DIR = path.resolve('.bench-out');
const CUTS = [0.1, 0.12, 0.15, 0.17, 0.2, 0.25, 0.3];

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function ensureCache() {
  if (existsSync(FEATURES_FILE)) return; // a partial cache is used as it is (the extraction resumes separately)
  const script = fileURLToPath(new URL('../scripts/pets/extract-features.js', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}

export async function main() {
  ensureCache();
  const photos = readFeatures().filter((p) => p.detections !== null) as Array<CachedPhotoWithDetections>;
  const people = readPeople();
  const rows: Array<Record<string, string | number>> = [];
  const found = (dets: CachedDetection[], cut: number, kind?: string) => dets.some((d) => d.score >= cut && (!kind || d.kind === kind));
  for (const cut of CUTS) {
    const row: Record<string, string | number> = { cut };
    for (const kind of ['cat', 'dog'] as const) {
      const set = photos.filter((p) => p.kind === kind);
      const other = kind === 'cat' ? 'dog' : 'cat';
      // "Right species" = the best detection above the cut has the right label.
      const right = set.filter((p) => {
        const best = p.detections.filter((d) => d.score >= cut).sort((a, b) => b.score - a.score)[0];
        return best?.kind === kind;
      }).length;
      row[`${kind}s found (${set.length})`] = pct(right / set.length);
      row[`${kind}s as ${other}`] = pct(set.filter((p) => {
        const best = p.detections.filter((d) => d.score >= cut).sort((a, b) => b.score - a.score)[0];
        return best?.kind === other;
      }).length / set.length);
    }
    row[`people photos with a pet (${people.length})`] = people.filter((p) => found(p.detections, cut)).length;
    rows.push(row);
  }
  console.log(`default cut ${DEFAULT_DETECT.minAnimalScore}`);
  console.table(rows);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'pets-detect.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 1));
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
