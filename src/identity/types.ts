// Shared shapes of the identity engine. The runtime (models in a worker pool) produces
// FaceObservations; the pure logic (screening, clustering, matching, training) consumes them.

import type { PetAnalysis } from './pets/types.js';

/** [x, y, width, height] in pixels of the analysed image. */
export type Box = [number, number, number, number];

export interface FaceObservation {
  box: Box;
  /** Detector confidence 0..1. */
  score: number;
  /** L2-normalised face embedding (128-d FaceRecognitionNet in the hybrid engine). */
  embedding: number[];
  /** Head pose in degrees (0,0,0 = frontal). */
  pose: { yaw: number; pitch: number; roll: number };
  /** Sharpness measured on the face crop (variance of the Laplacian on a normalised-size crop). */
  sharpness: number;
  /**
   * Blur of the face in pixels (an estimate of the Gaussian sigma of its strongest edges, worst
   * direction), measured at the face's own size or at most at 256 px (quality-metrics.ts
   * faceBlur). Sharp photos read about 0.9–1.5.
   */
  blur: number;
  /** Mean luma of the face crop, 0..255. */
  brightness: number;
  /** Fraction of clipped (near 0 or near 255) pixels in the face crop, 0..1. */
  clipped: number;
  /** Anti-spoof / liveness "real face" score 0..1, null when the model gave none. */
  real: number | null;
  /** Landmark/mesh confidence proxy for occlusion 0..1 (lower = more occluded), null if unknown. */
  visibility: number | null;
}

/** Animals the product keeps profiles of (decisions.md, "Pets"). */
export type AnimalKind = 'cat' | 'dog';
/** Who a profile is of, and what a recognised face or animal is. */
export type SubjectKind = 'person' | AnimalKind;

/** One cat or dog the object detector found (boxes only: what the face veto and the subject decision need). */
export interface AnimalBox {
  kind: AnimalKind;
  /** The animal's box (whole body for home photos, the head for face crops). */
  box: Box;
  /** Detector confidence 0..1. */
  score: number;
  /** Best cat and dog detector scores on this animal (the label is the larger); absent in older analyses. */
  speciesScores?: Record<AnimalKind, number>;
}

/** One cat or dog the object detector found, embedded for re-identification (identity/pets/). */
export interface AnimalObservation extends AnimalBox {
  /** Species look from the frozen features (head.json's classifier): > 0 cat-like, < 0 dog-like; absent without one. */
  looksCat?: number;
  /** L2-normalised re-identification embedding; compared by cosine like face embeddings. */
  embedding: number[];
  /** The pet head that made `embedding` (pets/head.ts headId); absent in analyses made before heads were marked. */
  embedder?: string;
  /** Variance of the Laplacian on a normalised grey crop of the box, like faces'. */
  sharpness: number;
  /** Mean luma of the box crop, 0..255. */
  brightness: number;
}

/** A person the object detector found (whole body); used to tell human faces from animal heads. */
export interface PersonObservation {
  box: Box;
  score: number;
}

export interface ImageAnalysis {
  width: number;
  height: number;
  faces: FaceObservation[];
  /** Cats and dogs found (absent from analyses made without the pet models). */
  animals?: AnimalObservation[];
  /** People found by the object detector (absent when it did not run). */
  persons?: PersonObservation[];
}

/**
 * An analysis whose cats and dogs are boxes only, not embedded: training's first pass
 * (IdentityEngine.analyzeForSubject), enough to decide who a set of photos is of and to veto
 * faces that are animal heads. Every ImageAnalysis is one.
 */
export interface DetectionAnalysis extends Omit<ImageAnalysis, 'animals'> {
  animals?: AnimalBox[];
}

/** What a profile stores once trained (JSON in the profile record). */
export interface ProfileModel {
  version: 1;
  /** Who the profile is of; absent in models trained before pets (= 'person'). */
  subject?: SubjectKind;
  embeddings: number[][];
  centroid: number[];
  /** Cosine threshold for face-vs-centroid matches. */
  threshold: number;
  /**
   * Pets: the head whose embedding space `embeddings` are in (pets/head.ts headId). A photo embedded
   * by another head never matches the profile (retrain it). Absent for people and older pet profiles.
   */
  embedder?: string;
  /** Indices (into the submitted image_urls) of the photos kept as references, best first. */
  referencePhotos: number[];
  /** Index of the photo the profile picture comes from, and the face (or animal) box in it. */
  picture: { photo: number; box: Box };
}

/** The engine as the rest of the product sees it: runs models off the HTTP event loop. */
export interface IdentityEngine {
  /**
   * Detects, measures and embeds every face (and every cat and dog, unless `pets: false`: the pet
   * models double the time of an analysis, and recognising only people does not need them).
   * `image` is any format sharp decodes.
   */
  analyze(image: Buffer, opts?: { pets?: boolean }): Promise<ImageAnalysis>;
  /**
   * Training's first pass: every face (embedded, as analyze), and cats, dogs and people as boxes
   * from the fast detector, without animal embeddings (pets/vision.ts detectPets): enough for the
   * subject decision and the face veto at a fraction of the pet models' cost.
   */
  analyzeForSubject(image: Buffer): Promise<DetectionAnalysis>;
  /** Cats and dogs with their embeddings, and people (pets.analyze): training's second pass, for animal subjects. */
  analyzePets(image: Buffer): Promise<PetAnalysis>;
  close(): Promise<void>;
}
