// Training cuts of the pet re-identification embedding, per species: the clustering cut
// (photo vs photo) and the admission cut (photo vs the centroid of the others) that decide which
// animals go into a profile, and the stored match threshold. Re-measure with
// `npm run bench -- pets-dominant` whenever the embedding changes (identity/pets/, head.json).
import type { AnimalKind } from '../types.js';
import type { AnimalCuts } from './subject.js';
import { petMatchThreshold } from './thresholds.js';

/**
 * Chosen on the tune animals (2026-12-02 03:45 UTC, models/pets/head.json: dogs WCCN+LDA fitted on
 * the 714 train dogs, cats frozen; bench/pets-dominant.ts, whose tune part now holds all 8 tune dogs
 * with ≥ 7 photos): the setting with no wrong profile and the most correct ones, the strictest among
 * equals. Cats: cluster at the tune impostors' FAR 1% (0.4578), admission at FAR 0.5% (0.5187),
 * unchanged (the cats' head did not change). Dogs: cluster at the tune impostors' FAR 5% (0.3289),
 * admission at FAR 0.5% (0.5226): tune 11.0% correct, 0% wrong, 89.0% ERROR (the previous stop's
 * 0.525 / 0.525 and the strictest 0.594 / 0.594 made no correct tune profile).
 */
const TRAINING: Record<AnimalKind, { cluster: number; admit: number }> = {
  cat: { cluster: 0.4578, admit: 0.5187 },
  dog: { cluster: 0.3289, admit: 0.5226 },
};

/**
 * The stored match threshold: the pet vision layer's calibrated centroid cut, never looser than
 * the admission cut (a photo that could not join the profile in training must not match it later).
 */
function cutsFor(kind: AnimalKind): AnimalCuts {
  const t = TRAINING[kind];
  return { ...t, match: () => Math.max(petMatchThreshold(kind, 'centroid'), t.admit) };
}

export const ANIMAL_CUTS: Record<AnimalKind, AnimalCuts> = { cat: cutsFor('cat'), dog: cutsFor('dog') };
