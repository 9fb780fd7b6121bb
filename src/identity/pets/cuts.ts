// Training cuts of the pet re-identification embedding, per species: the clustering cut
// (photo vs photo) and the admission cut (photo vs the centroid of the others) that decide which
// animals go into a profile, and the stored match threshold. Re-measure with
// `npm run bench -- pets-dominant` whenever the embedding changes (identity/pets/, head.json).
import type { AnimalKind } from '../types.js';
import type { AnimalCuts } from './subject.js';
import { petMatchThreshold } from './thresholds.js';

/**
 * Chosen on the tune animals (2026-12-02 03:35 UTC, models/pets/head.json: dogs WCCN+LDA fitted on
 * the 714 train dogs, cats frozen; bench/pets-dominant.ts): the setting with no wrong profile and the
 * most correct ones, the strictest among equals. Cats: cluster at the tune impostors' FAR 1% (0.4578),
 * admission at FAR 0.5% (0.5187), unchanged (the cats' head did not change). Dogs: no setting made a
 * correct profile on the tune dogs with ≥ 7 photos, so the sweep's strictest cut is chosen (0.5946,
 * its tune impostors' maximum), which is also the cut of FAR 0.1% on the 102k tune impostor pairs of
 * bench/pets-reid.ts (0.5936, thresholds.ts PET_PAIR_THRESHOLDS 0.594): a wrong dog is worse than an ERROR.
 */
const TRAINING: Record<AnimalKind, { cluster: number; admit: number }> = {
  cat: { cluster: 0.4578, admit: 0.5187 },
  dog: { cluster: 0.594, admit: 0.594 },
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
