// Labelled photos for the pet product benchmarks (bench/pets-dominant.ts): cats and dogs of the
// tune and report parts of the pets split (scripts/pets/dataset.ts: split by animal; the head
// never saw these animals) and a sample of the caltech + london people photos, each analysed
// by the product's engine (faces, animals, people boxes). Analyses are cached under .cache/:
// the face part once, the pet part per version of the trained head (models/pets/head.json),
// so a new head only re-runs the pet models.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PETS_DIR, listPets, splitAnimals, shuffled, type Part } from '../scripts/pets/dataset.js';
import { HEAD_FILE } from '../src/identity/pets/head.js';
import type { PetAnalysis } from '../src/identity/pets/types.js';
import type { ImageAnalysis } from '../src/identity/types.js';
import { TESTDATA, listSet } from './identity-identify.js';

export const CACHE_DIR = path.resolve('.cache');

export interface LabelledSubject {
  /** 'cat' | 'dog' | 'person' */
  kind: 'cat' | 'dog' | 'person';
  /** Who is in the photo: `cat:leo`, `dog:123`, a person's id (caltech / london labels). */
  who: string;
  /** Split part of the animal (people photos: 'people'). */
  part: Part | 'people';
  /** Absolute path. */
  file: string;
  analysis: ImageAnalysis | null;
}

/** Dogs with at least this many photos can be a training set's subject (7 photos + spares). */
export const MIN_SUBJECT_DOG_PHOTOS = 7;

/** The labelled photos without analyses (also bench/pets-detector-size.ts). */
export function selection(): Omit<LabelledSubject, 'analysis'>[] {
  const maxDogs = Number(process.env.BENCH_PET_DOGS ?? 20); // report subject dogs
  const people = Number(process.env.BENCH_PET_PEOPLE ?? 80);
  const extraDogs = Number(process.env.BENCH_PET_EXTRA_DOGS ?? 30);
  const pets = listPets();
  const out: Omit<LabelledSubject, 'analysis'>[] = [];
  for (const kind of ['cat', 'dog'] as const) {
    const photos = pets.filter((p) => p.kind === kind);
    const ids = [...new Set(photos.map((p) => p.animal))];
    const parts = splitAnimals(ids, kind);
    const held = ids.filter((id) => parts.get(id) !== 'train');
    const count = (id: string) => photos.filter((p) => p.animal === id).length;
    let chosen: string[];
    if (kind === 'cat') chosen = held;
    else {
      // Subject dogs (enough photos): every tune dog that has them (only 8 of the 110 do, and the
      // training cuts are chosen on them), and up to BENCH_PET_DOGS report dogs; then one photo
      // each of other dogs as distractors.
      const enough = held.filter((id) => count(id) >= MIN_SUBJECT_DOG_PHOTOS);
      const subjects = [
        ...enough.filter((id) => parts.get(id) === 'tune'),
        ...shuffled(enough.filter((id) => parts.get(id) === 'report'), 7).slice(0, maxDogs),
      ];
      const others = shuffled(held.filter((id) => !subjects.includes(id)), 8).slice(0, extraDogs);
      for (const id of others) {
        const p = photos.find((x) => x.animal === id)!;
        out.push({ kind, who: id, part: parts.get(id)!, file: path.join(PETS_DIR, p.file) });
      }
      chosen = subjects;
    }
    for (const p of photos) if (chosen.includes(p.animal)) out.push({ kind, who: p.animal, part: parts.get(p.animal)!, file: path.join(PETS_DIR, p.file) });
  }
  const humans = shuffled([...listSet('caltech'), ...listSet('london')].filter((p) => p.identity !== 'drawing'), 9).slice(0, people);
  for (const h of humans) out.push({ kind: 'person', who: h.identity, part: 'people', file: path.join(TESTDATA, h.file) });
  return out;
}

function headVersion(): string {
  return existsSync(HEAD_FILE) ? createHash('sha256').update(readFileSync(HEAD_FILE)).digest('hex').slice(0, 12) : 'frozen';
}

function readCache<T>(file: string): Record<string, T> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, T>) : {};
}

/** The labelled photos with their analyses (missing ones are computed and cached). */
export async function loadPetBenchSet(): Promise<LabelledSubject[]> {
  const items = selection();
  mkdirSync(CACHE_DIR, { recursive: true });
  const facesFile = path.join(CACHE_DIR, 'pets-bench-faces.json');
  const petsFile = path.join(CACHE_DIR, `pets-bench-pets-${headVersion()}.json`);
  const faces = readCache<ImageAnalysis | null>(facesFile);
  const pets = readCache<PetAnalysis | null>(petsFile);
  const key = (f: string) => path.relative(TESTDATA, f);
  const missing = items.filter((i) => !(key(i.file) in faces) || !(key(i.file) in pets));
  if (missing.length > 0) {
    const { createIdentityEngine } = await import('../src/identity/engine.js');
    const engine = await createIdentityEngine({ workers: Number(process.env.BENCH_WORKERS ?? 1), pets: false });
    const save = () => {
      writeFileSync(facesFile, JSON.stringify(faces));
      writeFileSync(petsFile, JSON.stringify(pets));
    };
    try {
      for (const [n, it] of missing.entries()) {
        const bytes = readFileSync(it.file);
        const k = key(it.file);
        if (!(k in faces)) faces[k] = await engine.analyze(bytes).catch(() => null);
        if (!(k in pets)) pets[k] = await engine.analyzePets(bytes).catch(() => null);
        if (n % 25 === 0) {
          process.stderr.write(`pets bench analyses: ${n}/${missing.length}\n`);
          save();
        }
      }
    } finally {
      save();
      await engine.close();
    }
  }
  return items.map((it) => {
    const f = faces[key(it.file)];
    const p = pets[key(it.file)];
    const analysis = f && p ? { ...f, animals: p.animals, persons: p.persons } : null;
    return { ...it, analysis };
  });
}
