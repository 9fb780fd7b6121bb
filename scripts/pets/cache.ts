// Reads the feature cache written by extract-features.ts (.cache/pets/features.jsonl).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FeatureBlockName } from '../../src/identity/pets/head.js';
import type { AnimalKind } from '../../src/identity/pets/types.js';

export const CACHE_DIR = path.resolve('.cache/pets');
export const FEATURES_FILE = path.join(CACHE_DIR, 'features.jsonl');
export const PEOPLE_FILE = path.join(CACHE_DIR, 'people.jsonl');

export interface CachedDetection {
  kind: AnimalKind;
  score: number;
  /** Both species' best scores on the box (extractions after the species fix only). */
  speciesScores?: Record<AnimalKind, number>;
  box: number[];
}

export interface CachedPhoto {
  file: string;
  kind: AnimalKind;
  animal: string;
  width: number;
  height: number;
  /** null when extracted without the detector pass (dog crops past --detect-dogs). */
  detections: CachedDetection[] | null;
  persons: Array<{ score: number; box?: number[] }> | null;
  source: 'detection' | 'whole';
  blocks: Partial<Record<FeatureBlockName, Float32Array>>;
}

function decode(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return new Float32Array(ab);
}

export function readFeatures(file = FEATURES_FILE): CachedPhoto[] {
  if (!existsSync(file)) throw new Error(`${file} is missing: run node dist/scripts/pets/extract-features.js first`);
  const out: CachedPhoto[] = [];
  const seen = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let raw;
    try {
      raw = JSON.parse(line);
    } catch {
      continue; // a line cut short by an interrupted extraction
    }
    if (seen.has(raw.file)) continue; // two extraction runs appended the same photo
    seen.add(raw.file);
    raw.blocks = Object.fromEntries(Object.entries(raw.blocks as Record<string, string>).map(([k, v]) => [k, decode(v)]));
    out.push(raw as CachedPhoto);
  }
  return out;
}

export function readPeople(file = PEOPLE_FILE): Array<{ file: string; detections: CachedDetection[] }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}
