// Shapes of the pet vision layer, shared by the worker-side runtime and the pure logic.
import type { Box } from '../types.js';

export type AnimalKind = 'cat' | 'dog';

/** A cat or dog found in an image. Boxes are [x, y, width, height] in original-image pixels. */
export interface AnimalDetection {
  kind: AnimalKind;
  box: Box;
  /** CenterNet class score 0..1. */
  score: number;
  /** Best cat and dog scores on this animal (NMS merges the two labels); absent in old analyses. */
  speciesScores?: Record<AnimalKind, number>;
}

/** A detected animal with its identity embedding (L2-normalised; compare with similarity()). */
export interface AnimalObservation extends AnimalDetection {
  embedding: number[];
  /** The head that made `embedding` (head.ts headId); absent in analyses made before heads were marked. */
  embedder?: string;
  /** Species look from the frozen features (head.json's classifier): > 0 cat-like, < 0 dog-like. */
  looksCat?: number;
  /** Sharpness (variance of the Laplacian on a 112 px grey crop of the box), like faces'. */
  sharpness: number;
  /** Mean luma of the box crop, 0..255. */
  brightness: number;
}

export interface PetAnalysis {
  width: number;
  height: number;
  animals: AnimalObservation[];
  /** People CenterNet found (boxes + score), e.g. to tell "someone else" from "no cat or dog". */
  persons: Array<{ box: Box; score: number }>;
}

/** Cats, dogs and people in an image, boxes only (vision.ts detectPets: training's first pass). */
export interface PetDetections {
  width: number;
  height: number;
  animals: AnimalDetection[];
  persons: Array<{ box: Box; score: number }>;
}
