// Dominant-subject selection: 200 random training sets per data set, each 6–7 photos of one
// person plus photos of other people and group collages; training must build the profile of
// that person and of nobody else. Runs the real decision (decideProfile: screening,
// clustering, outliers) on cached engine analyses (see identity-identify.ts), and sweeps the
// clustering cut.
//
//   npx tsc -p . && node dist/bench/identity-dominant.js
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLUSTER_THRESHOLD, PAIR_THRESHOLD } from '../src/identity/thresholds.js';
import { decideProfile, type PhotoInput } from '../src/identity/train.js';
import type { Box, FaceObservation, ImageAnalysis } from '../src/identity/types.js';
import { OUT_DIR, loadSet, mainFace, rng, shuffle, type LabelledPhoto } from './identity-identify.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 200);
const PHOTOS_PER_SET = 10; // the standard tier's minimum upload

interface Trial {
  subject: string;
  inputs: PhotoInput[];
  /** identity of every face, by embedding (faces are identified by their exact vector). */
  who: Map<string, string>;
  subjectPhotos: number;
  tier: 'standard' | 'fast';
}

const key = (e: readonly number[]) => e.slice(0, 8).join(',');

/** A collage of 2–4 photos side by side, like testdata/derived/groups (faces keep their measurements). */
function collage(parts: LabelledPhoto[]): ImageAnalysis {
  const faces: FaceObservation[] = [];
  let x = 0;
  for (const p of parts) {
    const a = p.analysis!;
    const s = 330 / a.height; // each part resized to 330 px high, as the derived collages are
    for (const f of a.faces) {
      const [bx, by, bw, bh] = f.box;
      // Sharpness is measured on a normalised crop, so it is kept; size shrinks with the part.
      faces.push({ ...f, box: [x + bx * s, by * s, bw * s, bh * s].map(Math.round) as Box });
    }
    x += a.width * s;
  }
  return { width: Math.round(x), height: 330, faces };
}

interface Scenario {
  name: string;
  tier: 'standard' | 'fast';
  /** Photos of the subject: min + random 0..spread-1. */
  subjectMin: number;
  subjectSpread: number;
  /** Chance that a non-subject slot is a collage (else a solo photo of someone else). */
  collage: number;
  /** Faces per collage: min + random 0..2. */
  collageMin: number;
}

export const SCENARIOS: Scenario[] = [
  { name: 'standard: 6–7 of the subject + 3–4 others/collages', tier: 'standard', subjectMin: 6, subjectSpread: 2, collage: 0.5, collageMin: 2 },
  { name: 'hard (fast tier): 4–5 of the subject + only collages of 3–5 others', tier: 'fast', subjectMin: 4, subjectSpread: 2, collage: 1, collageMin: 3 },
];

/** A random training set in which the subject is in strictly more photos than anyone else (resampled until so). */
function makeTrial(photos: LabelledPhoto[], subjects: string[], rand: () => number, sc: Scenario): Trial {
  for (;;) {
    const t = drawTrial(photos, subjects, rand, sc);
    const perPhoto = t.inputs.map((a) => new Set(('faces' in a ? a.faces : []).map((f) => t.who.get(key(f.embedding)))));
    const count = new Map<string, number>();
    for (const ids of perPhoto) for (const id of ids) if (id) count.set(id, (count.get(id) ?? 0) + 1);
    const mine = count.get(t.subject) ?? 0;
    if ([...count].every(([id, n]) => id === t.subject || n < mine)) return t;
  }
}

function drawTrial(photos: LabelledPhoto[], subjects: string[], rand: () => number, sc: Scenario): Trial {
  const usable = photos.filter((p) => p.identity !== 'drawing' && p.analysis && mainFace(p));
  const subject = subjects[Math.floor(rand() * subjects.length)];
  const mine = shuffle(
    usable.filter((p) => p.identity === subject),
    rand,
  );
  const others = usable.filter((p) => p.identity !== subject);
  const n = Math.min(mine.length, sc.subjectMin + Math.floor(rand() * sc.subjectSpread));
  const inputs: PhotoInput[] = mine.slice(0, n).map((p) => p.analysis!);
  const used = new Set<LabelledPhoto>();
  const pick = () => {
    for (;;) {
      const p = others[Math.floor(rand() * others.length)];
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  while (inputs.length < PHOTOS_PER_SET) {
    if (rand() >= sc.collage) inputs.push(pick().analysis!);
    else inputs.push(collage(Array.from({ length: sc.collageMin + Math.floor(rand() * 3) }, pick)));
  }
  const who = new Map<string, string>();
  for (const p of usable) for (const f of p.analysis!.faces) who.set(key(f.embedding), p.identity);
  return { subject, inputs: shuffle(inputs, rand), who, subjectPhotos: n, tier: sc.tier };
}

interface Score {
  cut: number;
  outlier: string;
  correct: number;
  wrongPerson: number;
  error: number;
  errors: Record<string, number>;
  meanRecall: number;
}

function run(trials: Trial[], cut: number, outlier?: number, recover = true): Score {
  let correct = 0;
  let wrongPerson = 0;
  let error = 0;
  let recall = 0;
  const errors: Record<string, number> = {};
  for (const t of trials) {
    const urls = t.inputs.map((_, i) => `photo${i}`);
    const d = decideProfile(urls, t.inputs, t.tier, { clusterThreshold: cut, outlierThreshold: outlier, recover });
    if (!d.ok) {
      error++;
      const kind = d.message.replace(/\d+/g, 'N').slice(0, 60);
      errors[kind] = (errors[kind] ?? 0) + 1;
      continue;
    }
    const ids = d.model.embeddings.map((e) => t.who.get(key(e)) ?? '?');
    if (ids.every((id) => id === t.subject)) {
      correct++;
      recall += ids.length / t.subjectPhotos;
    } else wrongPerson++;
  }
  return { cut, outlier: (outlier === undefined ? 'admit (current)' : String(outlier)) + (recover ? '' : ', no take-back'), correct: correct / trials.length, wrongPerson: wrongPerson / trials.length, error: error / trials.length, errors, meanRecall: correct ? recall / correct : 0 };
}

export async function main(): Promise<void> {
  const results: Record<string, Score[]> = {};
  for (const set of ['caltech', 'london'] as const) {
    const photos = await loadSet(set);
    const counts = new Map<string, number>();
    for (const p of photos) if (p.identity !== 'drawing' && mainFace(p)) counts.set(p.identity, (counts.get(p.identity) ?? 0) + 1);
    // Subjects need 6–7 photos: caltech people with >= 7, in london only "lisa" has enough.
    const subjects = [...counts].filter(([, n]) => n >= 7).map(([id]) => id);
    for (const [si, sc] of SCENARIOS.entries()) {
      const rand = rng((set === 'caltech' ? 101 : 202) + si);
      const trials = Array.from({ length: TRIALS }, () => makeTrial(photos, subjects, rand, sc));
      // The pair threshold is the reference point of the sweep (the cut training started from).
      const cuts = [...new Set([0.9, 0.92, 0.93, 0.94, PAIR_THRESHOLD, 0.945, 0.95, 0.96, CLUSTER_THRESHOLD])].sort((a, b) => a - b);
      const rows = [
        ...cuts.map((c) => run(trials, c, 0.9)),
        ...cuts.map((c) => run(trials, c, undefined, false)),
        ...cuts.map((c) => run(trials, c)),
      ];
      results[`${set} / ${sc.name}`] = rows;
      console.log(`\n### Dominant subject, ${set}, ${sc.name} (${TRIALS} sets of ${PHOTOS_PER_SET}; ${subjects.length} subjects)\n`);
      console.log('| cluster cut | outlier cut | correct | wrong person | ERROR | subject photos kept | errors |');
      console.log('|---|---|---|---|---|---|---|');
      for (const r of rows)
        console.log(
          `| ${r.cut}${r.cut === CLUSTER_THRESHOLD && r.outlier === 'admit (current)' ? ' (current)' : ''} | ${r.outlier} | ${(100 * r.correct).toFixed(1)}% | ${(100 * r.wrongPerson).toFixed(1)}% | ${(100 * r.error).toFixed(1)}% | ${(100 * r.meanRecall).toFixed(1)}% | ${Object.entries(r.errors).map(([k, v]) => `${v}× ${k}`).join('; ')} |`,
        );
    }
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'identity-dominant.json'), JSON.stringify({ trials: TRIALS, clusterThreshold: CLUSTER_THRESHOLD, results }, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
