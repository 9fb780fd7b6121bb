// Pets in the product: detection per species, the face veto, dominant-pet selection over
// random training sets and cross-species false matches. Runs the real decisions
// (decideProfile, recognizeAnalysis) on cached engine analyses of held-out animals (tune and
// report parts of the pets split, scripts/pets/dataset.ts) and people photos (bench/pets-data.ts).
// The training cuts are chosen on the tune part (the best setting with no wrong profile) and
// reported on both parts.
//
//   npx tsc -p . && nice -n 10 node dist/bench/pets-dominant.js     (or: npm run bench -- pets-dominant)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { rng, shuffle } from './identity-identify.js';
import { loadPetBenchSet, type LabelledSubject } from './pets-data.js';
import { ANIMAL_CUTS } from '../src/identity/pets/cuts.js';
import type { AnimalCuts } from '../src/identity/pets/subject.js';
import { thresholdAtFar } from '../src/identity/pets/thresholds.js';
import { FACE_VETO, vetoFace, type VetoLimits } from '../src/identity/pets/veto.js';
import { recognizeAnalysis, type Candidate } from '../src/identity/recognize.js';
import { primaryFace } from '../src/identity/screen.js';
import { decideProfile, type PhotoInput } from '../src/identity/train.js';
import type { AnimalKind, ImageAnalysis } from '../src/identity/types.js';
import { cosine } from '../src/identity/vectors.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 200);
const SUBJECT_PHOTOS = 7;
const OTHER_PHOTOS = 3;
const OUT_DIR = path.resolve('.bench-out');

type Part = 'tune' | 'report';
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The main animal of a photo: the largest one of the photo's labelled species. */
function mainAnimal(s: LabelledSubject) {
  const a = (s.analysis?.animals ?? []).filter((x) => x.kind === s.kind);
  return a.sort((x, y) => y.box[2] * y.box[3] - x.box[2] * x.box[3])[0];
}

// ---- detection and the face veto -----------------------------------------------------------

function detection(set: LabelledSubject[]) {
  const rows: Record<string, { photos: number; found: number; wrongKind: number; anyAnimal: number }> = {};
  for (const s of set) {
    if (!s.analysis) continue;
    const r = (rows[s.kind] ??= { photos: 0, found: 0, wrongKind: 0, anyAnimal: 0 });
    r.photos++;
    const animals = s.analysis.animals ?? [];
    if (animals.length > 0) r.anyAnimal++;
    if (s.kind !== 'person') {
      if (animals.some((a) => a.kind === s.kind)) r.found++;
      else if (animals.length > 0) r.wrongKind++;
    }
  }
  return rows;
}

function veto(set: LabelledSubject[], limits: VetoLimits) {
  let petFaceHits = 0;
  let petFacesKept = 0;
  let petPhotosWithFace = 0;
  let realFaces = 0;
  let realKept = 0;
  for (const s of set) {
    const a = s.analysis;
    if (!a) continue;
    if (s.kind === 'person') {
      const i = primaryFace(a);
      if (i < 0) continue;
      realFaces++;
      if (!vetoFace(a.faces[i], a, limits).vetoed) realKept++;
    } else {
      if (a.faces.length > 0) petPhotosWithFace++;
      petFaceHits += a.faces.length;
      petFacesKept += a.faces.filter((f) => !vetoFace(f, a, limits).vetoed).length;
    }
  }
  return { realFaces, realKept, petFaceHits, petFacesKept, petPhotosWithFace };
}

// ---- dominant-pet selection ----------------------------------------------------------------

interface Trial {
  subject: string;
  kind: AnimalKind;
  inputs: PhotoInput[];
  /** Index of each input in `subjectIdx` when it is a photo of the subject. */
  subjectIdx: Set<number>;
  /** Who each input shows (for the wrong-profile listing). */
  labels: string[];
}

function makeTrials(set: LabelledSubject[], kind: AnimalKind, part: Part, seed: number): Trial[] {
  const rand = rng(seed);
  const ok = set.filter((s) => s.analysis);
  const byAnimal = new Map<string, LabelledSubject[]>();
  for (const s of ok) if (s.kind === kind && s.part === part) byAnimal.set(s.who, [...(byAnimal.get(s.who) ?? []), s]);
  const subjects = [...byAnimal.keys()].filter((id) => byAnimal.get(id)!.length >= SUBJECT_PHOTOS);
  const other = kind === 'cat' ? 'dog' : 'cat';
  const sameKind = ok.filter((s) => s.kind === kind && s.part === part);
  const otherKind = ok.filter((s) => s.kind === other);
  const people = ok.filter((s) => s.kind === 'person');
  const trials: Trial[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const subject = subjects[Math.floor(rand() * subjects.length)];
    const mine = shuffle(byAnimal.get(subject)!, rand).slice(0, SUBJECT_PHOTOS);
    const others: LabelledSubject[] = [];
    for (let k = 0; k < OTHER_PHOTOS; k++) {
      // Half another animal of the species (the hard case), a quarter the other species, a quarter people.
      const r = rand();
      const pool = r < 0.5 ? sameKind.filter((s) => s.who !== subject) : r < 0.75 ? otherKind : people;
      let p: LabelledSubject;
      do p = pool[Math.floor(rand() * pool.length)];
      while (others.includes(p));
      others.push(p);
    }
    const order = shuffle([...mine.map((m) => ({ m, mine: true })), ...others.map((m) => ({ m, mine: false }))], rand);
    trials.push({
      subject,
      kind,
      inputs: order.map((o) => o.m.analysis!),
      subjectIdx: new Set(order.flatMap((o, i) => (o.mine ? [i] : []))),
      labels: order.map((o) => o.m.who),
    });
  }
  return trials;
}

interface Outcome {
  correct: number;
  wrong: number;
  /** Part of `wrong`: every accepted photo is the subject, but the profile says the other species. */
  wrongSpecies: number;
  error: number;
  /** Mean share of the subject's 7 photos accepted in correct profiles. */
  recall: number;
  errors: Record<string, number>;
}

let wrongShown = 0;

function runTrials(trials: Trial[], cuts: Record<AnimalKind, AnimalCuts>): Outcome {
  let correct = 0;
  let wrong = 0;
  let error = 0;
  let recall = 0;
  let wrongSpecies = 0;
  const errors: Record<string, number> = {};
  for (const t of trials) {
    const d = decideProfile(
      t.inputs.map((_, i) => `p${i}`),
      t.inputs,
      'standard',
      { animalCuts: cuts, recover: process.env.BENCH_PET_RECOVER !== '0' },
    );
    if (!d.ok) {
      error++;
      const k = d.message.replace(/#\d+ \([^)]*\)(; )?/g, '').replace(/\d+/g, 'N').slice(0, 70);
      errors[k] = (errors[k] ?? 0) + 1;
      continue;
    }
    const accepted = d.reports.flatMap((r, i) => (r.accepted ? [i] : []));
    if (d.model.subject === t.kind && accepted.every((i) => t.subjectIdx.has(i))) {
      correct++;
      recall += accepted.length / SUBJECT_PHOTOS;
    } else {
      wrong++;
      // The right animal filed under the other species (the detector labelled it so in most photos).
      if (d.model.subject !== t.kind && accepted.every((i) => t.subjectIdx.has(i))) wrongSpecies++;
      if (wrongShown++ < Number(process.env.BENCH_PET_SHOW_WRONG ?? 0))
        console.log(`    wrong: subject ${t.subject} (${d.model.subject}), accepted ${accepted.map((i) => t.labels[i] + (t.subjectIdx.has(i) ? '' : '*')).join(' ')}`);
    }
  }
  const n = trials.length;
  return { correct: correct / n, wrong: wrong / n, wrongSpecies: wrongSpecies / n, error: error / n, recall: correct ? recall / correct : 0, errors };
}

/** Photo-vs-photo cosine of the main animals of distinct animals of one kind and part (impostors). */
function impostorScores(set: LabelledSubject[], kind: AnimalKind, part: Part): number[] {
  const xs = set.filter((s) => s.kind === kind && s.part === part && mainAnimal(s));
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++)
    for (let j = i + 1; j < xs.length; j++) if (xs[i].who !== xs[j].who) out.push(cosine(mainAnimal(xs[i])!.embedding, mainAnimal(xs[j])!.embedding));
  return out;
}

// ---- cross-species false matches -----------------------------------------------------------

function crossSpecies(set: LabelledSubject[], cuts: Record<AnimalKind, AnimalCuts>) {
  const ok = set.filter((s) => s.analysis);
  const candidates: Candidate[] = [];
  // One profile per subject animal of either part (its first 7 photos) and per person with ≥ 3 photos.
  const groups = new Map<string, LabelledSubject[]>();
  for (const s of ok) groups.set(s.who, [...(groups.get(s.who) ?? []), s]);
  for (const [who, photos] of groups) {
    const isPet = photos[0].kind !== 'person';
    if (photos.length < (isPet ? SUBJECT_PHOTOS : 3)) continue;
    const take = photos.slice(0, isPet ? SUBJECT_PHOTOS : photos.length);
    const d = decideProfile(
      take.map((_, i) => `p${i}`),
      take.map((p) => p.analysis!),
      'fast',
      { animalCuts: cuts },
    );
    if (d.ok) candidates.push({ profileId: who, model: d.model });
  }
  const kindOf = new Map(candidates.map((c) => [c.profileId, c.model.subject ?? 'person']));
  const count = { personVsPet: 0, dogVsCat: 0, catVsDog: 0, petVsPerson: 0, petVsPersonNoVeto: 0, photos: { person: 0, cat: 0, dog: 0 } };
  for (const s of ok) {
    count.photos[s.kind]++;
    for (const r of recognizeAnalysis(s.analysis!, candidates)) {
      if (!r.profileId) continue;
      const pk = kindOf.get(r.profileId);
      if (s.kind === 'person' && r.kind === 'person' && pk !== 'person') count.personVsPet++;
      if (pk === 'cat' && s.kind !== 'cat') count.dogVsCat += s.kind === 'dog' ? 1 : 0;
      if (pk === 'dog' && s.kind === 'cat') count.catVsDog++;
      if (s.kind !== 'person' && pk === 'person') count.petVsPerson++;
    }
    // Without the veto: would a "face" on a pet photo match a person profile?
    if (s.kind !== 'person') {
      const raw: ImageAnalysis = { ...s.analysis!, animals: [] };
      for (const r of recognizeAnalysis(raw, candidates.filter((c) => kindOf.get(c.profileId) === 'person'))) if (r.profileId) count.petVsPersonNoVeto++;
    }
  }
  const profiles = { person: 0, cat: 0, dog: 0 };
  for (const k of kindOf.values()) profiles[k]++;
  return { profiles, ...count };
}

/**
 * BENCH_PET_CENTRE=1: an experiment, not the product. Centres every animal embedding on the mean
 * embedding of its species over the TUNE photos (no labels used) and re-normalises, to show what
 * a head that only carries a mean (models/pets/head.json `mean`) would give.
 */
function centred(set: LabelledSubject[]): LabelledSubject[] {
  const means = new Map<AnimalKind, number[]>();
  for (const kind of ['cat', 'dog'] as const) {
    const es = set.filter((s) => s.part === 'tune').flatMap((s) => (s.analysis?.animals ?? []).filter((a) => a.kind === kind).map((a) => a.embedding));
    if (es.length === 0) continue;
    const m = new Array<number>(es[0].length).fill(0);
    for (const e of es) for (let i = 0; i < m.length; i++) m[i] += e[i] / es.length;
    means.set(kind, m);
  }
  return set.map((s) => {
    if (!s.analysis) return s;
    const animals = (s.analysis.animals ?? []).map((a) => {
      const m = means.get(a.kind);
      if (!m) return a;
      const v = a.embedding.map((x, i) => x - m[i]);
      const n = Math.hypot(...v) || 1;
      return { ...a, embedding: v.map((x) => x / n) };
    });
    return { ...s, analysis: { ...s.analysis, animals } };
  });
}

export async function main(): Promise<unknown> {
  const loaded = await loadPetBenchSet();
  const set = process.env.BENCH_PET_CENTRE === '1' ? centred(loaded) : loaded;
  if (set !== loaded) console.log('EXPERIMENT: embeddings centred on the tune mean of their species');
  const analysed = set.filter((s) => s.analysis);
  console.log(`photos: ${set.length} (${analysed.length} analysed); cats ${set.filter((s) => s.kind === 'cat').length}, dogs ${set.filter((s) => s.kind === 'dog').length}, people ${set.filter((s) => s.kind === 'person').length}`);

  const det = detection(analysed);
  console.log('\nDetection (an animal of the right species found)');
  for (const [k, r] of Object.entries(det))
    console.log(`  ${k.padEnd(6)} photos ${r.photos}: ${k === 'person' ? `photos with any cat/dog ${r.anyAnimal}` : `found ${pct(r.found / r.photos)}, only the other species ${r.wrongKind}`}`);

  const vetoRows = [
    { name: 'current (FACE_VETO)', limits: FACE_VETO },
    { name: 'no veto', limits: { ...FACE_VETO, minInsideAnimal: 2 } },
    { name: 'inside ≥ 0.3', limits: { ...FACE_VETO, minInsideAnimal: 0.3 } },
    { name: 'inside ≥ 0.7', limits: { ...FACE_VETO, minInsideAnimal: 0.7 } },
  ].map((v) => ({ ...v, ...veto(analysed, v.limits) }));
  console.log('\nFace veto: real faces (main face of people photos) kept; face hits on pet photos kept as people');
  for (const v of vetoRows)
    console.log(`  ${v.name.padEnd(20)} real faces kept ${v.realKept}/${v.realFaces}; pet-photo face hits kept ${v.petFacesKept}/${v.petFaceHits} (on ${v.petPhotosWithFace} photos)`);

  // Cut sweep on tune: cluster and admission cuts at impostor quantiles of each species.
  const fars = [0.05, 0.02, 0.01, 0.005, 0.001, 0];
  const sweep: Record<string, unknown[]> = {};
  const chosen: Record<AnimalKind, AnimalCuts> = { ...ANIMAL_CUTS };
  for (const kind of ['cat', 'dog'] as const) {
    const imp = impostorScores(analysed, kind, 'tune');
    const cutsAt = fars.map((f) => ({ far: f, cut: Math.round(thresholdAtFar(imp, f) * 1e4) / 1e4 }));
    const trials = makeTrials(analysed, kind, 'tune', 101);
    const rows: Array<{ cluster: number; admit: number; farCluster: number; farAdmit: number } & Outcome> = [];
    for (const c of cutsAt)
      for (const a of cutsAt) {
        const cuts = { ...chosen, [kind]: { ...ANIMAL_CUTS[kind], cluster: c.cut, admit: a.cut } };
        rows.push({ cluster: c.cut, admit: a.cut, farCluster: c.far, farAdmit: a.far, ...runTrials(trials, cuts) });
      }
    sweep[kind] = rows;
    // No wrong profile first, then the most correct; among equals the strictest cuts (the tune
    // part is small: a stricter cut is the safer guess for animals it did not see).
    const best = [...rows].sort((x, y) => x.wrong - y.wrong || y.correct - x.correct || y.cluster + y.admit - (x.cluster + x.admit))[0];
    console.log(`\nDominant ${kind} on tune (${trials.length} sets of ${SUBJECT_PHOTOS} + ${OTHER_PHOTOS}; impostor pairs ${imp.length}), cuts at impostor FAR (cluster × admit):`);
    for (const r of rows)
      console.log(`  cluster ${r.cluster} (FAR ${r.farCluster}) admit ${r.admit} (FAR ${r.farAdmit}): correct ${pct(r.correct)} wrong ${pct(r.wrong)} error ${pct(r.error)} recall ${pct(r.recall)}`);
    console.log(`  chosen: cluster ${best.cluster}, admit ${best.admit}`);
    chosen[kind] = { ...ANIMAL_CUTS[kind], cluster: best.cluster, admit: best.admit };
  }

  const dominant: Record<string, Outcome> = {};
  for (const kind of ['cat', 'dog'] as const)
    for (const part of ['tune', 'report'] as const) {
      wrongShown = 0;
      const o = runTrials(makeTrials(analysed, kind, part, part === 'tune' ? 101 : 202), chosen);
      dominant[`${kind}/${part}`] = o;
      console.log(`\nDominant ${kind}, ${part} part, chosen cuts, ${TRIALS} sets: correct ${pct(o.correct)}, wrong ${pct(o.wrong)} (of which right animal, other species ${pct(o.wrongSpecies)}), ERROR ${pct(o.error)}; recall ${pct(o.recall)}`);
      for (const [m, n] of Object.entries(o.errors).sort((a, b) => b[1] - a[1]).slice(0, 4)) console.log(`    ${n}× ${m}`);
    }

  // The cuts the product ships (pets/cuts.ts), when they differ from this run's tune choice.
  const shippedRows: Record<string, Outcome> = {};
  for (const kind of ['cat', 'dog'] as const) {
    if (ANIMAL_CUTS[kind].cluster === chosen[kind].cluster && ANIMAL_CUTS[kind].admit === chosen[kind].admit) continue;
    for (const part of ['tune', 'report'] as const) {
      const o = runTrials(makeTrials(analysed, kind, part, part === 'tune' ? 101 : 202), { ...chosen, [kind]: ANIMAL_CUTS[kind] });
      shippedRows[`${kind}/${part}`] = o;
      console.log(`\nDominant ${kind}, ${part} part, SHIPPED cuts (cuts.ts: cluster ${ANIMAL_CUTS[kind].cluster}, admit ${ANIMAL_CUTS[kind].admit}): correct ${pct(o.correct)}, wrong ${pct(o.wrong)} (other species ${pct(o.wrongSpecies)}), ERROR ${pct(o.error)}; recall ${pct(o.recall)}`);
      for (const [m, n] of Object.entries(o.errors).sort((a, b) => b[1] - a[1]).slice(0, 4)) console.log(`    ${n}× ${m}`);
    }
  }

  const cross = crossSpecies(analysed, ANIMAL_CUTS);
  console.log('\nCross-species (every analysed photo recognised against every profile built from the set):');
  console.log(`  profiles: ${JSON.stringify(cross.profiles)}; photos: ${JSON.stringify(cross.photos)}`);
  console.log(`  person faces matched to a pet profile: ${cross.personVsPet}; dogs matched to a cat profile: ${cross.dogVsCat}; cats matched to a dog profile: ${cross.catVsDog}`);
  console.log(`  pet photos matched to a person profile: ${cross.petVsPerson} (without the face veto: ${cross.petVsPersonNoVeto})`);

  const result = { date: new Date().toISOString(), trials: TRIALS, shipped: shippedRows, detection: det, veto: vetoRows.map(({ limits: _l, ...v }) => v), chosen: { cat: { cluster: chosen.cat.cluster, admit: chosen.cat.admit }, dog: { cluster: chosen.dog.cluster, admit: chosen.dog.admit } }, dominant, cross, sweep };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, process.env.BENCH_PET_CENTRE === '1' ? 'pets-dominant-centred.json' : 'pets-dominant.json'), JSON.stringify(result, null, 2));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
