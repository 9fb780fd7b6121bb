// Caches the frozen feature blocks of the shared pets photos (and detections on people photos)
// under .cache/pets/, so training and benchmarks do not re-run the backbones. Resumable: files
// already in the cache are skipped. Runs in this process on one wasm core (nice it).
//
//   npx tsc -p . && nice -n 10 node dist/scripts/pets/extract-features.js [--max-per-dog N] [--people N] [--detect-dogs N] [--only pets|people] [--reverse]
//
// One JSON line per photo in .cache/pets/features.jsonl:
//   {file, kind, animal, width, height, detections: [{kind, score, box}], persons: [{score, box}],
//    source: 'detection' | 'whole', blocks: {hsv, mnv2, mnv2max, mnv2mid, grid, cn} (base64 float32)}
// Cats: blocks of the best cat/dog detection (the whole photo if none). Dogs: the photos are
// aligned 224 px face crops, so blocks of the whole crop (what a detected dog-face box gives);
// with --detect-dogs N only the first N photos of the run get detections (and the `cn` block),
// the rest `detections: null`.
// People photos (caltech, london): detections only, in .cache/pets/people.jsonl.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { petFeaturesForDataset, wholeImageFeatures, type FeatureBlocks } from '../../src/identity/pets/vision.js';
import { CACHE_DIR, FEATURES_FILE, PEOPLE_FILE } from './cache.js';
import { listPets, PETS_DIR, shuffled, SPLIT_SEED, TESTDATA, type PetPhoto } from './dataset.js';

/** Detection cut used while caching: low, so benchmarks can sweep the cut afterwards. */
const CACHE_DETECT = { minAnimalScore: 0.03, minPersonScore: 0.1, iou: 0.45 };

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function encode(blocks: FeatureBlocks): Record<string, string> {
  return Object.fromEntries(Object.entries(blocks).map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')]));
}

function done(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { file: string }).file),
  );
}

/** Photos to cache, cats first, then dogs in a seeded order (a partial cache is a random subset). */
export function extractionOrder(photos: PetPhoto[], maxPerDog: number): PetPhoto[] {
  const cats = photos.filter((p) => p.kind === 'cat');
  const byDog = new Map<string, PetPhoto[]>();
  for (const p of photos) if (p.kind === 'dog') byDog.set(p.animal, [...(byDog.get(p.animal) ?? []), p]);
  const dogs = shuffled([...byDog.keys()], SPLIT_SEED + 7).flatMap((id) => byDog.get(id)!.slice(0, maxPerDog));
  return [...cats, ...dogs];
}

async function main() {
  mkdirSync(CACHE_DIR, { recursive: true });
  const maxPerDog = arg('--max-per-dog', 5);
  const people = arg('--people', 324);
  // Dog photos (in extraction order, counting from the start of this run) that also get a detector pass.
  const detectDogs = arg('--detect-dogs', Infinity);
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : 'all';
  const have = done(FEATURES_FILE);
  const order = only === 'people' ? [] : extractionOrder(listPets(), maxPerDog);
  // --reverse: a second process can work from the end of the order (dogs only, no detector) while
  // the first works from the start; the cache reader drops the few photos both end up doing.
  const todo = (process.argv.includes('--reverse') ? order.filter((p) => p.kind === 'dog').reverse() : order).filter((p) => !have.has(p.file));
  console.log(`${have.size} cached, ${todo.length} to go`);
  const t0 = Date.now();
  let n = 0;
  for (const p of todo) {
    const cat = p.kind === 'cat';
    if (!cat && n >= detectDogs) {
      // Past the first --detect-dogs dog photos: no detector pass (the crop is the dog's face),
      // only the blocks the head uses. Keeps extraction affordable on a loaded machine.
      const blocks = await wholeImageFeatures(readFileSync(path.join(PETS_DIR, p.file)));
      appendFileSync(FEATURES_FILE, JSON.stringify({ ...p, width: 224, height: 224, detections: null, persons: null, source: 'whole', blocks: encode(blocks) }) + '\n');
      if (++n % 50 === 0) console.log(`${n}/${todo.length} (${((Date.now() - t0) / n).toFixed(0)} ms/photo)`);
      continue;
    }
    const r = await petFeaturesForDataset(readFileSync(path.join(PETS_DIR, p.file)), {
      detect: CACHE_DETECT,
      wholeImageFallback: !cat,
      embed: cat ? 'best' : 'none',
    });
    const best = r.animals.find((a) => a.blocks);
    const useDet = cat && !!best;
    appendFileSync(
      FEATURES_FILE,
      JSON.stringify({
        ...p,
        width: r.width,
        height: r.height,
        detections: r.animals.map((a) => ({ kind: a.kind, score: a.score, speciesScores: a.speciesScores, box: a.box.map((v) => Math.round(v)) })),
        persons: r.persons.map((a) => ({ score: a.score, box: a.box.map((v) => Math.round(v)) })),
        source: useDet ? 'detection' : 'whole',
        blocks: encode(useDet ? best!.blocks! : (r.whole ?? (await wholeBlocks(p)))),
      }) + '\n',
    );
    if (++n % 50 === 0) console.log(`${n}/${todo.length} (${((Date.now() - t0) / n).toFixed(0)} ms/photo)`);
  }
  // People photos: detections only (false pets), a fixed sample.
  const haveP = done(PEOPLE_FILE);
  const peopleFiles = shuffled(listImages(path.join(TESTDATA, 'caltech-faces')).concat(listImages(path.join(TESTDATA, 'london-faces'))), SPLIT_SEED)
    .slice(0, only === 'pets' ? 0 : people)
    .filter((f) => !haveP.has(f));
  for (const f of peopleFiles) {
    const r = await petFeaturesForDataset(readFileSync(path.join(TESTDATA, f)), { detect: CACHE_DETECT, embed: 'none' });
    appendFileSync(
      PEOPLE_FILE,
      JSON.stringify({
        file: f,
        detections: r.animals.map((a) => ({ kind: a.kind, score: a.score, box: a.box.map((v) => Math.round(v)) })),
        persons: r.persons.map((a) => ({ score: a.score })),
      }) + '\n',
    );
  }
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** A cat photo with no detection at all: fall back to the whole photo. */
async function wholeBlocks(p: PetPhoto): Promise<FeatureBlocks> {
  const r = await petFeaturesForDataset(readFileSync(path.join(PETS_DIR, p.file)), { detect: CACHE_DETECT, wholeImageFallback: true, embed: 'none' });
  return r.whole!;
}

function listImages(dir: string, rel = path.relative(TESTDATA, dir)): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!/drawing|singleton/i.test(e.name)) out.push(...listImages(path.join(dir, e.name), path.join(rel, e.name)));
    } else if (/\.(jpe?g|png)$/i.test(e.name)) out.push(path.join(rel, e.name));
  }
  return out.sort();
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
