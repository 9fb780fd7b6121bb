// Local /enhance: runs the enhancer in the worker pool, then the identity guard: every face of
// the input must still be recognisably the same person in each output, with the same skin tone
// (embeddings are nearly blind to brightness, so tone is measured separately, in CIELAB, on the
// bytes actually returned), else that output is replaced by a gentler variant (skin-tone drift:
// the tone-free rung; identity drift: down to a plain super-resolution).
import type { AnimalKind, AnimalObservation, IdentityEngine, FaceObservation, ImageAnalysis } from '../identity/types.js';
import { ANIMAL_CUTS } from '../identity/pets/cuts.js';
import { animalsOutsideFaces, humanFaces } from '../identity/pets/veto.js';
import type { WorkerPool } from '../identity/pool.js';
import { cosine } from '../identity/vectors.js';
import { PAIR_THRESHOLD } from '../identity/thresholds.js';
import { faceColour, type RegionColour } from '../enhance/colour.js';
import { parseIntents } from '../enhance/intent.js';
import { decodeRgb } from '../enhance/pipeline.js';
import { skinAllowance, skinDrift, type SkinDrift } from '../enhance/skin.js';

interface EnhanceOutput {
  data: Uint8Array;
  width: number;
  height: number;
  label: string;
  exposureFix: boolean;
  colourFix: boolean;
}

/** One look of the guard at one rendering. */
export interface GuardStep {
  label: string;
  /** Lowest identity similarity over the input's faces. */
  similarity: number;
  /** Worst skin-tone drift over the input's faces (null when no face could be measured). */
  skin: SkinDrift | null;
}

const toBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Lowest similarity of any input face to its best counterpart in the output (1 with no faces). */
export function identityDrift(inputFaces: FaceObservation[], outputFaces: FaceObservation[]): number {
  let worst = 1;
  for (const f of inputFaces) {
    const best = outputFaces.reduce((m, o) => Math.max(m, cosine(f.embedding, o.embedding)), 0);
    worst = Math.min(worst, best);
  }
  return worst;
}

/** Each input face's best-matching output face (by embedding), or null when none matches at all. */
function counterparts(inputFaces: FaceObservation[], outputFaces: FaceObservation[]): Array<FaceObservation | null> {
  return inputFaces.map((f) => {
    let best: FaceObservation | null = null, bestSim = -1;
    for (const o of outputFaces) {
      const s = cosine(f.embedding, o.embedding);
      if (s > bestSim) { bestSim = s; best = o; }
    }
    return best;
  });
}

/** Skin colour of every face, measured on the decoded bytes. */
async function faceColours(bytes: Buffer, boxes: Array<FaceObservation['box'] | null>): Promise<Array<RegionColour | null>> {
  if (boxes.every((b) => b === null)) return boxes.map(() => null);
  const img = await decodeRgb(bytes);
  return boxes.map((b) => (b ? faceColour(img, b) : null));
}

/** The worst drift (failing first, then largest ΔE) of the faces measured in both. */
function worstDrift(before: Array<RegionColour | null>, after: Array<RegionColour | null>, allow: ReturnType<typeof skinAllowance>): SkinDrift | null {
  let worst: SkinDrift | null = null;
  for (let i = 0; i < before.length; i++) {
    const b = before[i], a = after[i];
    if (!b || !a) continue;
    const d = skinDrift(b, a, allow);
    if (!worst || (!d.ok && worst.ok) || (d.ok === worst.ok && d.deltaE > worst.deltaE)) worst = d;
  }
  return worst;
}

/**
 * How many of the input's cats and dogs are still recognisably themselves in the output: an
 * output animal of the same kind whose embedding clears that kind's match threshold for a
 * one-photo profile. The guard wants all of them (an enhancer must not turn a pet into another).
 */
export function animalsKept(
  inputAnimals: readonly AnimalObservation[],
  outputAnimals: readonly AnimalObservation[],
  cut: (kind: AnimalKind) => number = (kind) => ANIMAL_CUTS[kind].match(1),
): number {
  return inputAnimals.filter((a) =>
    outputAnimals.some((o) => o.kind === a.kind && o.embedding.length === a.embedding.length && cosine(a.embedding, o.embedding) >= cut(a.kind)),
  ).length;
}

export async function runLocalEnhance(opts: {
  pool: WorkerPool;
  identity: () => Promise<IdentityEngine>;
  input: Buffer;
  variants: number;
  prompt?: string;
  format: 'jpg' | 'png';
  signal: AbortSignal;
  /** Similarity an output face must keep; default the photo-vs-photo match threshold. */
  guardThreshold?: number;
}): Promise<Array<{ data: Buffer; analysis: ImageAnalysis | null; label: string; guard: GuardStep[] }>> {
  const threshold = opts.guardThreshold ?? PAIR_THRESHOLD;
  const engine = await opts.identity();
  const intents = parseIntents(opts.prompt);
  // Faces first: the enhancer keeps them inside its crop, and the guard compares against them.
  const inputAnalysis = await engine.analyze(opts.input);
  // Animal heads the face detector fired on are the animals' business (animalsKept), not faces.
  const inputFaces = humanFaces(inputAnalysis);
  // ...and an "animal" inside a person's face is part of that face misread.
  const inputAnimals = animalsOutsideFaces(inputAnalysis);
  const faces = inputFaces.map((f) => f.box);
  const inputColours = await faceColours(opts.input, faces);
  const outs = await opts.pool.run<EnhanceOutput[]>('enhance', {
    input: new Uint8Array(opts.input),
    variants: opts.variants,
    prompt: opts.prompt,
    format: opts.format,
    faces,
  });
  opts.signal.throwIfAborted();
  // Each output comes back with the guard's analysis of it (when it made one), so the caller
  // can fill known_subjects without running the face models on the same image again.
  const result: Array<{ data: Buffer; analysis: ImageAnalysis | null; label: string; guard: GuardStep[] }> = [];
  for (const out of outs) {
    let current: EnhanceOutput = out;
    let data = toBuffer(out.data);
    let analysis: ImageAnalysis | null = null;
    const guard: GuardStep[] = [];
    // Walk down the ladder of gentler variants while the face drifts.
    for (let step = 0; step < 6 && inputFaces.length + inputAnimals.length > 0; step++) {
      analysis = await engine.analyze(data);
      const outFaces = humanFaces(analysis);
      const sim = identityDrift(inputFaces, outFaces);
      let skin: SkinDrift | null = null;
      if (sim >= threshold) {
        const matched = counterparts(inputFaces, outFaces);
        skin = worstDrift(inputColours, await faceColours(data, matched.map((m) => m?.box ?? null)), skinAllowance(intents, current.exposureFix, current.colourFix));
      }
      guard.push({ label: current.label, similarity: sim, skin });
      if (sim >= threshold && (!skin || skin.ok) && animalsKept(inputAnimals, analysis.animals ?? []) === inputAnimals.length) break;
      opts.signal.throwIfAborted();
      const gentler: EnhanceOutput | null = await opts.pool.run<EnhanceOutput | null>('enhance.gentler', {
        input: new Uint8Array(opts.input),
        format: opts.format,
        label: current.label,
        drift: sim >= threshold ? 'skin' : 'identity',
        prompt: opts.prompt,
        faces,
      });
      if (!gentler) break;
      current = gentler;
      data = toBuffer(gentler.data);
      analysis = null;
    }
    result.push({ data, analysis, label: current.label, guard });
  }
  return result;
}
