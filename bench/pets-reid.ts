// Pet re-identification on animals the head never saw: per species, on the TUNE part (where
// the thresholds are chosen) and the REPORT part (the figures we quote): ROC-AUC, TAR at FAR
// 1% and 0.1% (photo vs photo, burst pairs excluded), and identification in households of
// 2–4 pets of one species (profile = centroid of up to 3 photos; one other photo is the query;
// correct / wrong animal / unknown at the household cut chosen on TUNE so that wrong ≤ 1%).
// Compares the frozen baseline (issue #9's blocks: HSV + MobileNetV2 + CenterNet, centred)
// with the shipped head (models/pets/head.json). Cross-species matches are impossible by
// construction (thresholds.ts comparable()); species confusion is in pets-detect.
//
//   npx tsc -p . && node dist/bench/pets-reid.js        (npm run bench -- pets-reid)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_FEATURES, loadHeads, type FeatureSpec, type HeadWeights } from '../src/identity/pets/head.js';
import type { AnimalKind } from '../src/identity/pets/types.js';
import { readFeatures } from '../scripts/pets/cache.js';
import { householdCut, householdOutcome, householdTrials, verify } from '../scripts/pets/eval.js';
import { embedAll, meanOf, samples } from '../scripts/pets/train.js';
import { ensureCache } from './pets-detect.js';

const OUT_DIR = path.resolve('.bench-out');
const TRIALS = Number(process.env.BENCH_TRIALS ?? 2000);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

interface Variant {
  name: string;
  spec: FeatureSpec;
  head: (kind: AnimalKind, trainMean: (spec: FeatureSpec, kind: AnimalKind) => number[]) => HeadWeights;
}

export async function main() {
  ensureCache();
  const photos = readFeatures();
  const shipped = loadHeads();
  const trainMean = (spec: FeatureSpec, kind: AnimalKind) => meanOf(samples(photos, spec).filter((s) => s.kind === kind && s.part === 'train').map((s) => s.x));
  const variants: Variant[] = [
    { name: 'frozen baseline (hsv+mnv2+cn)', spec: DEFAULT_FEATURES, head: (k, m) => ({ mean: m(DEFAULT_FEATURES, k), projection: null }) },
    {
      name: `shipped head (dog ${shipped.trained.dog ? 'trained' : 'frozen'}, cat ${shipped.trained.cat ? 'trained' : 'frozen'})`,
      spec: shipped.features,
      head: (k) => shipped.kinds[k],
    },
  ];
  const verifyRows: Array<Record<string, string | number>> = [];
  const houseRows: Array<Record<string, string | number>> = [];
  const cuts: Record<string, unknown> = {};
  for (const v of variants) {
    const ss = samples(photos, v.spec);
    for (const kind of ['dog', 'cat'] as const) {
      const head = v.head(kind, trainMean);
      const emb = (part: string) => embedAll(ss.filter((s) => s.kind === kind && s.part === part), head);
      const tune = emb('tune');
      const report = emb('report');
      for (const [part, items] of [['tune', tune], ['report', report]] as const) {
        const r = verify(items);
        verifyRows.push({
          variant: v.name,
          species: kind,
          part,
          animals: r.animals,
          photos: r.photos,
          'genuine/impostor pairs': `${r.genuinePairs}/${r.impostorPairs}`,
          AUC: r.auc.toFixed(4),
          'TAR@FAR1%': pct(r.tarFar1),
          'TAR@FAR0.1%': pct(r.tarFar01),
          'cut@1%': r.cutFar1.toFixed(4),
          'cut@0.1%': r.cutFar01.toFixed(4),
        });
      }
      for (const size of [2, 3, 4]) {
        const tuneTrials = householdTrials(tune, size, TRIALS, 3);
        const cut = householdCut(tuneTrials, 0.01);
        cuts[`${v.name} ${kind} ${size}`] = cut;
        for (const [part, items] of [['tune', tune], ['report', report]] as const) {
          const o = householdOutcome(part === 'tune' ? tuneTrials : householdTrials(items, size, TRIALS, 3, 11), cut);
          houseRows.push({ variant: v.name, species: kind, household: size, part, cut: cut.toFixed(4), correct: pct(o.correct), wrong: pct(o.wrong), unknown: pct(o.unknown), trials: o.trials });
        }
      }
    }
  }
  console.log('\nverification (photo vs photo)');
  console.table(verifyRows);
  console.log('\nhouseholds (cut chosen on tune: wrong ≤ 1%)');
  console.table(houseRows);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'pets-reid.json'), JSON.stringify({ date: new Date().toISOString(), verifyRows, houseRows, cuts }, null, 1));
  return { verifyRows, houseRows };
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
