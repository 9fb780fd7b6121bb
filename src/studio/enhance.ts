// Local /enhance: runs the enhancer in the worker pool, then the identity guard: every face of
// the input must still be recognisably the same person (and every cat or dog the same animal)
// in each output, else that output is
// replaced by a gentler variant (down to a plain resize, which cannot change anyone).
import type { AnimalKind, AnimalObservation, IdentityEngine, FaceObservation, ImageAnalysis } from '../identity/types.js';
import { ANIMAL_CUTS } from '../identity/pets/cuts.js';
import { humanFaces } from '../identity/pets/veto.js';
import type { WorkerPool } from '../identity/pool.js';
import { cosine } from '../identity/vectors.js';
import { PAIR_THRESHOLD } from '../identity/thresholds.js';

interface EnhanceOutput {
  data: Uint8Array;
  width: number;
  height: number;
  label: string;
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
}): Promise<Array<{ data: Buffer; analysis: ImageAnalysis | null }>> {
  const threshold = opts.guardThreshold ?? PAIR_THRESHOLD;
  const engine = await opts.identity();
  // Faces first: the enhancer keeps them inside its crop, and the guard compares against them.
  const inputAnalysis = await engine.analyze(opts.input);
  // Animal heads the face detector fired on are the animals' business, not faces to keep.
  const inputFaces = humanFaces(inputAnalysis);
  const inputAnimals = inputAnalysis.animals ?? [];
  const faces = inputFaces.map((f) => f.box);
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
  const result: Array<{ data: Buffer; analysis: ImageAnalysis | null }> = [];
  for (const out of outs) {
    let current: EnhanceOutput | null = out;
    let data = toBuffer(out.data);
    let analysis: ImageAnalysis | null = null;
    // Walk down the ladder of gentler variants while the face drifts.
    for (let step = 0; step < 6 && inputFaces.length + inputAnimals.length > 0; step++) {
      analysis = await engine.analyze(data);
      const sim = identityDrift(inputFaces, humanFaces(analysis));
      if (sim >= threshold && animalsKept(inputAnimals, analysis.animals ?? []) === inputAnimals.length) break;
      const gentler: EnhanceOutput | null = await opts.pool.run<EnhanceOutput | null>('enhance.gentler', {
        input: new Uint8Array(opts.input),
        format: opts.format,
        label: current!.label,
        prompt: opts.prompt,
        faces,
      });
      if (!gentler) break;
      current = gentler;
      data = toBuffer(gentler.data);
      analysis = null;
    }
    result.push({ data, analysis });
  }
  return result;
}
