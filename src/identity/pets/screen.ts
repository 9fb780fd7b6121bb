// Quality screening of cats and dogs for training, with reasons a user understands (the
// animal counterparts of screen.ts's face reasons). Pure: takes AnimalObservations as the
// engine measured them.

import type { AnimalObservation } from '../types.js';

/** Reasons shown in the per-photo report of a pet profile. Stable strings: clients may key on them. */
export const PET_REASONS = {
  noAnimal: 'no cat or dog',
  tooSmall: 'animal too small',
  tooDark: 'too dark',
  tooBright: 'too bright (blown out)',
  blurry: 'blurry',
  someoneElse: 'someone else',
  otherSpecies: 'a different kind of animal',
  ambiguous: 'another animal appears as often',
  outlier: 'does not look enough like the other photos',
  duplicate: 'same photo as another in the set',
  kindTie: 'a person and an animal (or a cat and a dog) appear as often',
} as const;
export type PetReason = (typeof PET_REASONS)[keyof typeof PET_REASONS];

/**
 * Limits of an acceptable training animal. The box is the whole animal in home photos and the
 * head in close-ups, so the size rule is the face rule's (under 80 px there is too little of
 * the coat and face to learn); exposure limits are the faces' (screen.ts QUALITY). Sharpness is
 * measured on the box crop, which includes fur and background: it is checked against the
 * shared pet photos in bench/pets-dominant.ts.
 */
export const PET_QUALITY = {
  minAnimalPx: 80,
  minBrightness: 28,
  maxBrightness: 225,
  minSharpness: 12,
} as const;
export type PetQualityLimits = { -readonly [K in keyof typeof PET_QUALITY]: number };

export interface PetScreenResult {
  accepted: boolean;
  reasons: PetReason[];
}

export function animalSize(a: AnimalObservation): number {
  return Math.max(a.box[2], a.box[3]);
}

/** Screens one animal. Several reasons may apply (in a fixed order); none means accepted. */
export function screenAnimal(a: AnimalObservation, limits: PetQualityLimits = PET_QUALITY): PetScreenResult {
  const reasons: PetReason[] = [];
  const small = animalSize(a) < limits.minAnimalPx;
  if (small) reasons.push(PET_REASONS.tooSmall);
  if (a.brightness < limits.minBrightness) reasons.push(PET_REASONS.tooDark);
  else if (a.brightness > limits.maxBrightness) reasons.push(PET_REASONS.tooBright);
  // As for faces: dark crops read as soft (the Laplacian scales with contrast), small ones are
  // upscaled to the measuring crop; size is then the reason, not blur.
  const b = Math.max(4, a.brightness);
  const sharp = b >= 128 ? a.sharpness : a.sharpness * (128 / b) ** 2;
  if (!small && sharp < limits.minSharpness) reasons.push(PET_REASONS.blurry);
  return { accepted: reasons.length === 0, reasons };
}

/** Ranking score of an accepted animal as a reference photo: sharp, large, confidently detected. */
export function animalReferenceQuality(a: AnimalObservation): number {
  const sharp = 1 - Math.exp(-a.sharpness / 200);
  const size = Math.min(1, animalSize(a) / 400);
  const exposure = 1 - Math.min(1, Math.abs(a.brightness - 128) / 128);
  return 0.4 * sharp + 0.25 * size + 0.2 * a.score + 0.15 * exposure;
}
