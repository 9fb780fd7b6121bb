// CenterNet's input side: detection, the face veto and time at 512 (as exported) against smaller
// sides, on the same photos in the same run. Photos: bench/pets-data.ts's selection (cats and
// dogs of the tune and report parts of the pets split, split by animal; a sample of caltech +
// london people photos). Per photo: one decode (as pets.analyze), the detector at every side
// (alternating order, timed), and the face analysis once (its faces are what the veto judges).
//
//   npx tsc -p . && nice -n 10 node dist/bench/pets-detector-size.js   (npm run bench -- pets-detector-size)
//   BENCH_SIDES=512,384,320 (default), BENCH_PET_DOGS / BENCH_PET_PEOPLE / BENCH_PET_EXTRA_DOGS as pets-dominant.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeImage, decodeForAnalysis } from '../src/identity/runtime.js';
import { loadCenterNetAt } from '../src/identity/pets/models.js';
import { PET_MAX_SIDE, detectAnimals, type Detector } from '../src/identity/pets/vision.js';
import { humanFaces } from '../src/identity/pets/veto.js';
import type { AnimalObservation } from '../src/identity/pets/types.js';
import type { ImageAnalysis } from '../src/identity/types.js';
import { photosForFullPetAnalysis } from '../src/identity/train.js';
import { selection } from './pets-data.js';

const SIDES = (process.env.BENCH_SIDES ?? '512,384,320').split(',').map(Number);
const pct = (n: number, d: number) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)}%`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Row {
  kind: 'cat' | 'dog' | 'person';
  part: string;
  /** Per side: best animal's kind (or null), any animal, persons, faces kept by the veto, ms. */
  at: Record<number, { best: 'cat' | 'dog' | null; anyAnimal: boolean; persons: number; kept: number; ms: number; full: boolean }>;
  faces: number;
}

export async function main() {
  // BENCH_ONLY=pets: the cat and dog photos only (the people photos' figures did not depend on
  // the side); BENCH_ONLY=pet-faces: only photos in which the face detector fires (what the veto
  // judges), people photos included.
  const only = process.env.BENCH_ONLY;
  const items = selection().filter((i) => only !== 'pets' || i.kind !== 'person');
  const detectors: Detector[] = [];
  for (const s of SIDES) detectors.push({ model: await loadCenterNetAt(s), input: s });
  const rows: Row[] = [];
  for (const [n, it] of items.entries()) {
    const bytes = readFileSync(it.file);
    let faces: ImageAnalysis;
    try {
      faces = await analyzeImage(bytes);
    } catch {
      continue; // undecodable: not a detection question
    }
    if (only === 'pet-faces' && faces.faces.length === 0) continue;
    const img = await decodeForAnalysis(bytes, PET_MAX_SIDE);
    const row: Row = { kind: it.kind, part: it.part, at: {}, faces: faces.faces.length };
    // Alternate the order per photo so no side always runs on a warmer cache.
    const order = n % 2 === 0 ? detectors : [...detectors].reverse();
    for (const d of order) {
      const t0 = performance.now();
      const r = await detectAnimals(img, undefined, d);
      const ms = performance.now() - t0;
      const best = [...r.animals].sort((a, b) => b.score - a.score)[0];
      const animals = r.animals.map((a) => ({ ...a, embedding: [], sharpness: 0, brightness: 0 }) as AnimalObservation);
      const kept = humanFaces({ ...faces, animals, persons: r.persons }).length;
      // Whether training's second pass would analyse this photo in full (train.ts photosForFullPetAnalysis).
      const full = photosForFullPetAnalysis([{ ...faces, animals: r.animals, persons: r.persons }]).length > 0;
      row.at[d.input] = { best: best?.kind ?? null, anyAnimal: r.animals.length > 0, persons: r.persons.length, kept, ms, full };
    }
    rows.push(row);
    if (n % 50 === 0) process.stderr.write(`pets-detector-size: ${n}/${items.length}\n`);
  }

  const table: Array<Record<string, string | number>> = [];
  for (const part of ['tune', 'report']) {
    for (const s of SIDES) {
      const r: Record<string, string | number> = { part, side: s };
      for (const kind of ['cat', 'dog'] as const) {
        const set = rows.filter((x) => x.kind === kind && x.part === part);
        r[`${kind} photos`] = set.length;
        r[`${kind}s found`] = pct(set.filter((x) => x.at[s].best === kind).length, set.length);
        r[`${kind}s as ${kind === 'cat' ? 'dog' : 'cat'}`] = pct(set.filter((x) => x.at[s].best !== null && x.at[s].best !== kind).length, set.length);
      }
      const petFaces = rows.filter((x) => x.kind !== 'person' && x.part === part);
      r['pet-photo face hits'] = petFaces.reduce((a, x) => a + x.faces, 0);
      r['kept by the veto'] = petFaces.reduce((a, x) => a + x.at[s].kept, 0);
      // As training runs it (train.ts): photos where this side finds a cat or dog get the full
      // 512 analysis, so their veto is the 512 one; the rest keep this side's.
      r['kept, 512 where an animal was found'] = petFaces.reduce((a, x) => a + (x.at[s].anyAnimal && x.at[512] ? x.at[512].kept : x.at[s].kept), 0);
      r['kept as training runs (photosForFullPetAnalysis)'] = petFaces.reduce((a, x) => a + (x.at[s].full && x.at[512] ? x.at[512].kept : x.at[s].kept), 0);
      table.push(r);
    }
  }
  const people = rows.filter((x) => x.kind === 'person');
  const realFaces = people.reduce((a, x) => a + x.faces, 0);
  const peopleTable = SIDES.map((s) => ({
    side: s,
    [`people photos (${people.length}) with a cat/dog`]: people.filter((x) => x.at[s].anyAnimal).length,
    [`with a person box`]: pct(people.filter((x) => x.at[s].persons > 0).length, people.length),
    [`real faces kept (${realFaces})`]: people.reduce((a, x) => a + x.at[s].kept, 0),
    'people photos analysed in full by training': people.filter((x) => x.at[s].full).length,
    'detector ms, median (all photos)': Math.round(median(rows.map((x) => x.at[s].ms))),
    'ratio to first side': (median(rows.map((x) => x.at[s].ms)) / median(rows.map((x) => x.at[SIDES[0]].ms))).toFixed(2),
  }));
  console.table(table);
  console.table(peopleTable);
  // Photos whose best detection changed species or vanished between the first side and each other.
  const changes = SIDES.slice(1).map((s) => ({
    side: s,
    'pet photos: found at first side, lost': rows.filter((x) => x.kind !== 'person' && x.at[SIDES[0]].best === x.kind && x.at[s].best !== x.kind).length,
    'pet photos: missed at first side, found': rows.filter((x) => x.kind !== 'person' && x.at[SIDES[0]].best !== x.kind && x.at[s].best === x.kind).length,
    // The photos the two-pass training loses: no cat or dog at this side, one at the first side.
    'pet photos: no animal at this side, one at the first': rows.filter((x) => x.kind !== 'person' && !x.at[s].anyAnimal && x.at[SIDES[0]].anyAnimal).length,
  }));
  console.table(changes);
  const out = path.resolve('.bench-out');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'pets-detector-size.json'), JSON.stringify({ date: new Date().toISOString(), sides: SIDES, table, peopleTable, changes, rows }, null, 1));
  return { table, peopleTable, changes };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
