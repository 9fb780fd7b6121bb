// The identity engine as the product uses it: every model call goes to the worker pool, so
// the HTTP event loop never runs inference.
import type { Box, DetectionAnalysis, IdentityEngine, ImageAnalysis } from './types.js';
import { WorkerPool, transferableCopy } from './pool.js';
import type { EmbedOptions } from './runtime.js';
import type { PetAnalysis, PetDetections } from './pets/types.js';

/** Compiled worker entry, next to this file in dist/src/identity/. */
export const WORKER_URL = new URL('./worker.js', import.meta.url);

export interface IdentityEngineOptions {
  /** Worker threads; default os.availableParallelism(). */
  workers?: number;
  /** Embedding variant (benchmarks compare them); default DEFAULT_EMBED_OPTIONS. */
  embed?: EmbedOptions;
  /** Also find cats, dogs and people (pets.analyze; pets.detect in analyzeForSubject) in every analysis; default true. */
  pets?: boolean;
  /** A task (analysis, enhancement) running longer is abandoned and its worker replaced; default none. */
  taskTimeoutMs?: number;
}

export interface IdentityRuntime extends IdentityEngine {
  /** Square JPEG crop around `box` (original-image pixels), for profile pictures. */
  cropFace(image: Buffer, box: Box, opts?: { size?: number; margin?: number }): Promise<Buffer>;
  /** Cats, dogs (with identity embeddings) and people in an image: pets/vision.ts analyzePets. */
  analyzePets(image: Buffer): Promise<PetAnalysis>;
  /** Cats, dogs and people as boxes, from the fast detector: pets/vision.ts detectPets. */
  detectPets(image: Buffer): Promise<PetDetections>;
  /** The pool, so enhancement tasks (`enhance.*`) can share the same workers. */
  readonly pool: WorkerPool;
}

/**
 * Starts the worker pool. Models load in each worker in the background; the first
 * analyze() on a worker waits for them. analyze() rejects with ApiError 400 IMAGE_UNREADABLE
 * for undecodable input and PoolError if a worker dies.
 */
export async function createIdentityEngine(opts: IdentityEngineOptions = {}): Promise<IdentityRuntime> {
  const pool = new WorkerPool(WORKER_URL, { size: opts.workers, name: 'identity', taskTimeoutMs: opts.taskTimeoutMs });
  try {
    // One task per (idle) worker: fails fast if the models cannot load.
    await Promise.all(Array.from({ length: pool.size }, () => pool.run('identity.stats', null)));
  } catch (err) {
    await pool.close();
    throw err;
  }
  const faces = (image: Buffer) => {
    const ab = transferableCopy(image);
    return pool.run<ImageAnalysis>('identity.analyze', { image: new Uint8Array(ab), options: opts.embed }, [ab]);
  };
  // Faces and pets are two tasks, so two workers can run them at once; one analysis for the
  // product (the face veto and the subject decision need both).
  async function facesWith(image: Buffer, petTask: 'pets.analyze'): Promise<ImageAnalysis>;
  async function facesWith(image: Buffer, petTask: 'pets.detect'): Promise<DetectionAnalysis>;
  async function facesWith(image: Buffer, petTask: 'pets.analyze' | 'pets.detect'): Promise<DetectionAnalysis> {
    const f0 = faces(image);
    const petAb = transferableCopy(image);
    const p0 = pool.run<PetAnalysis | PetDetections>(petTask, { image: new Uint8Array(petAb) }, [petAb]);
    const [f, p] = await Promise.allSettled([f0, p0]);
    // An undecodable image fails both; the face task's error is the one callers know.
    if (f.status === 'rejected') throw f.reason;
    if (p.status === 'rejected') throw p.reason;
    return { ...f.value, animals: p.value.animals, persons: p.value.persons };
  }
  return {
    pool,
    analyze(image: Buffer, o: { pets?: boolean } = {}): Promise<ImageAnalysis> {
      if (opts.pets === false || o.pets === false) return faces(image);
      return facesWith(image, 'pets.analyze');
    },
    analyzeForSubject(image: Buffer): Promise<DetectionAnalysis> {
      if (opts.pets === false) return faces(image);
      return facesWith(image, 'pets.detect');
    },
    detectPets(image: Buffer): Promise<PetDetections> {
      const ab = transferableCopy(image);
      return pool.run<PetDetections>('pets.detect', { image: new Uint8Array(ab) }, [ab]);
    },
    analyzePets(image: Buffer): Promise<PetAnalysis> {
      const ab = transferableCopy(image);
      return pool.run<PetAnalysis>('pets.analyze', { image: new Uint8Array(ab) }, [ab]);
    },
    async cropFace(image, box, o = {}) {
      const ab = transferableCopy(image);
      const out = await pool.run<Uint8Array>('identity.cropFace', { image: new Uint8Array(ab), box, ...o }, [ab]);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    close: () => pool.close(),
  };
}
