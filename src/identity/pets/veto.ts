// The face veto: Human's face detector also fires on cats' and dogs' heads, and the face
// embedding then "learns" an animal as a person (issue #9: a dog profile came out READY as a
// person). A face that lies inside a detected cat or dog is taken for that animal's head unless
// something says it is a human face: the object detector saw a person around it, or the face
// detector is sure. Pure: works on the analysis the engine produced (boxes only: animal
// embeddings are not needed, so training's first pass, without them, is vetoed the same way).

import type { Box, DetectionAnalysis, FaceObservation } from '../types.js';

export interface VetoLimits {
  /** Share of the face box's area inside an animal box from which the face may be the animal's head. */
  minInsideAnimal: number;
  /** Share of the face box inside a person box that lets the face stay a person's. */
  minInsidePerson: number;
  /** Face-detector confidence at which a face stays a person's even inside an animal box. */
  keepFaceScore: number;
}

/**
 * Calibrated by bench/pets-dominant.ts (face hits on the shared pet photos vs. the faces of the
 * caltech and london people photos; see docs/benchmarks.md).
 */
export const FACE_VETO: VetoLimits = {
  minInsideAnimal: 0.5,
  minInsidePerson: 0.8,
  keepFaceScore: 1.01, // > 1: detector confidence alone never keeps a face inside an animal
};

/** Area of the intersection of two boxes divided by the area of `a` (0..1). */
export function insideShare(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const area = a[2] * a[3];
  return area <= 0 ? 0 : (ix * iy) / area;
}

/** Why a face is (not) taken for an animal's head; `vetoed` true means it is not a person. */
export function vetoFace(face: FaceObservation, analysis: DetectionAnalysis, limits: VetoLimits = FACE_VETO): { vetoed: boolean } {
  const animals = analysis.animals ?? [];
  const inAnimal = animals.some((a) => insideShare(face.box, a.box) >= limits.minInsideAnimal);
  if (!inAnimal) return { vetoed: false };
  if (face.score >= limits.keepFaceScore) return { vetoed: false };
  const inPerson = (analysis.persons ?? []).some((p) => insideShare(face.box, p.box) >= limits.minInsidePerson);
  return { vetoed: !inPerson };
}

/** The faces of an analysis that are people's (the veto removed animal heads), in detector order. */
export function humanFaces(analysis: DetectionAnalysis, limits: VetoLimits = FACE_VETO): FaceObservation[] {
  if (!analysis.animals || analysis.animals.length === 0) return analysis.faces;
  return analysis.faces.filter((f) => !vetoFace(f, analysis, limits).vetoed);
}

/** The analysis with animal heads removed from its faces (everything else unchanged). */
export function withoutAnimalFaces<T extends DetectionAnalysis>(analysis: T, limits: VetoLimits = FACE_VETO): T {
  const faces = humanFaces(analysis, limits);
  return faces.length === analysis.faces.length ? analysis : { ...analysis, faces };
}

/**
 * The analysis's cats and dogs less those that are part of a person's face misread: a box lying
 * mostly inside a human face (the veto's faces). Seen on a heavily compressed portrait (JPEG q15),
 * where CenterNet called an eye region a cat; the enhance guard then demanded that "cat" survive
 * and walked down to its gentlest rendering for nothing. A real pet is never inside a face.
 */
export function animalsOutsideFaces<T extends DetectionAnalysis>(analysis: T, limits: VetoLimits = FACE_VETO): NonNullable<T['animals']> {
  const animals = (analysis.animals ?? []) as NonNullable<T['animals']>;
  if (animals.length === 0 || analysis.faces.length === 0) return animals;
  const faces = humanFaces(analysis, limits);
  return animals.filter((a) => !faces.some((f) => insideShare(a.box, f.box) >= limits.minInsideAnimal)) as NonNullable<T['animals']>;
}
