// Local /enhance: runs the enhancer in the worker pool, then the identity guard: every face of
// the input must still be recognisably the same person in each output, else that output is
// replaced by a gentler variant (down to a plain resize, which cannot change anyone).
import type { IdentityEngine, FaceObservation, ImageAnalysis } from '../identity/types.js';
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
  const inputFaces = (await engine.analyze(opts.input)).faces;
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
    for (let step = 0; step < 6 && inputFaces.length > 0; step++) {
      analysis = await engine.analyze(data);
      const sim = identityDrift(inputFaces, analysis.faces);
      if (sim >= threshold) break;
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
