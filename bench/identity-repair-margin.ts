// How far under a profile's cut a missing person's face may be for the identity loop to call
// it a drifted look-alike and repair it (one edit) instead of generating again (issue #12;
// REPAIR_MARGIN in src/studio/service.ts). A wide margin sends strangers to repair (an edit
// turning a stranger into the person, which a model may or may not manage); a narrow one sends
// the person's own drifted faces to a new generation. Both cost one call, so this is about
// which bet is better, and the figure to know is how often each kind of face lands in the band.
//
// Data: the labelled test photos (cached engine analyses, bench/identity-identify.ts), split BY
// IDENTITY into a tune half and a report half. Per identity with ≥ 6 faces, 20 draws of a
// 5-photo centroid (cut = centroidThreshold(5)); genuine = its held-out faces, impostors = the
// main face of every photo of every other identity of the same half.
//
//   npm run bench -- identity-repair-margin     (or: node dist/bench/identity-repair-margin.js)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSet, mainFace, rng, shuffle, OUT_DIR, type LabelledPhoto } from './identity-identify.js';
import { centroidThreshold } from '../src/identity/thresholds.js';
import { centroid, dot } from '../src/identity/vectors.js';

const MARGINS = [0.02, 0.03, 0.04, 0.05, 0.06, 0.08];
const DRAWS = 20;
const K = 5;

/** Deterministic half of an identity (by its name, so every run splits the same way). */
function half(identity: string): 'tune' | 'report' {
  let h = 0x811c9dc5;
  for (let i = 0; i < identity.length; i++) h = Math.imul(h ^ identity.charCodeAt(i), 0x01000193) >>> 0;
  return h % 2 === 0 ? 'tune' : 'report';
}

interface Band {
  genuine: number;
  genuineBelowCut: number;
  impostor: number;
  /** Per margin: impostor scores in [cut − m, cut) and genuine scores in [cut − m, cut). */
  impostorInBand: number[];
  genuineInBand: number[];
  impostorAboveCut: number;
}

function measure(photos: LabelledPhoto[], seed: number): Band {
  const byId = new Map<string, number[][]>();
  for (const p of photos) {
    if (p.identity === 'drawing') continue;
    const f = mainFace(p);
    if (!f) continue;
    byId.set(p.identity, [...(byId.get(p.identity) ?? []), f.embedding]);
  }
  const rand = rng(seed);
  const band: Band = { genuine: 0, genuineBelowCut: 0, impostor: 0, impostorInBand: MARGINS.map(() => 0), genuineInBand: MARGINS.map(() => 0), impostorAboveCut: 0 };
  const cut = centroidThreshold(K);
  for (const [id, faces] of byId) {
    if (faces.length < K + 1) continue;
    const others = [...byId.entries()].filter(([o]) => o !== id).flatMap(([, fs]) => fs);
    for (let d = 0; d < DRAWS; d++) {
      const order = shuffle(faces.map((_, i) => i), rand);
      const c = centroid(order.slice(0, K).map((i) => faces[i]));
      for (const i of order.slice(K)) {
        const s = dot(faces[i], c);
        band.genuine++;
        if (s < cut) band.genuineBelowCut++;
        MARGINS.forEach((m, j) => {
          if (s < cut && s >= cut - m) band.genuineInBand[j]++;
        });
      }
      for (const f of others) {
        const s = dot(f, c);
        band.impostor++;
        if (s >= cut) band.impostorAboveCut++;
        MARGINS.forEach((m, j) => {
          if (s < cut && s >= cut - m) band.impostorInBand[j]++;
        });
      }
    }
  }
  return band;
}

export async function main(): Promise<unknown> {
  const sets = { caltech: await loadSet('caltech'), london: await loadSet('london') };
  const results: Record<string, Band> = {};
  console.log(`Cut ${centroidThreshold(K)} (5-photo centroid), ${DRAWS} draws per identity. Share of faces scoring in [cut − m, cut):\n`);
  console.log(`| set | half | identities | genuine faces | genuine below cut | impostor faces | ${MARGINS.map((m) => `m=${m}: impostors / genuine misses`).join(' | ')} |`);
  console.log(`|---|---|---|---|---|---|${MARGINS.map(() => '---|').join('')}`);
  for (const [name, photos] of Object.entries(sets)) {
    for (const h of ['tune', 'report'] as const) {
      const part = photos.filter((p) => p.identity !== 'drawing' && half(p.identity) === h);
      const b = measure(part, name === 'caltech' ? 7 : 11);
      results[`${name}/${h}`] = b;
      const ids = new Set(part.map((p) => p.identity)).size;
      const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(2)}%` : '–');
      console.log(
        `| ${name} | ${h} | ${ids} | ${b.genuine} | ${pct(b.genuineBelowCut, b.genuine)} | ${b.impostor} | ` +
          `${MARGINS.map((_, j) => `${pct(b.impostorInBand[j], b.impostor)} / ${b.genuineBelowCut ? pct(b.genuineInBand[j], b.genuineBelowCut) : '–'}`).join(' | ')} |`,
      );
    }
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'identity-repair-margin.json'), JSON.stringify({ date: new Date().toISOString(), margins: MARGINS, draws: DRAWS, k: K, results }, null, 2));
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
