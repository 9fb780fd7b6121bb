// Training cuts of the pet re-identification embedding, per species: the clustering cut
// (photo vs photo) and the admission cut (photo vs the centroid of the others) that decide which
// animals go into a profile, and the stored match threshold. The match threshold is the pet
// vision layer's calibrated centroid cut (thresholds.ts); the training cuts are chosen by
// bench/pets-dominant.ts on the tune animals. Re-measure whenever the embedding changes.
import type { AnimalKind } from '../types.js';
import type { AnimalCuts } from './subject.js';
import { petMatchThreshold } from './thresholds.js';

export const ANIMAL_CUTS: Record<AnimalKind, AnimalCuts> = {
  cat: { cluster: petMatchThreshold('cat', 'photo'), admit: petMatchThreshold('cat', 'centroid'), match: () => petMatchThreshold('cat', 'centroid') },
  dog: { cluster: petMatchThreshold('dog', 'photo'), admit: petMatchThreshold('dog', 'centroid'), match: () => petMatchThreshold('dog', 'centroid') },
};
