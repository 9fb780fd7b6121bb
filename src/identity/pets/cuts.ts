// Training cuts of the pet re-identification embedding, per species: the admission cut that
// decides which animals go into a profile, and the stored match threshold by number of photos.
// Re-measure with bench/pets-dominant.ts whenever the embedding (identity/pets/) changes.
import type { AnimalKind } from '../types.js';
import type { AnimalCuts } from './subject.js';

/** Provisional until the pet embedding's thresholds are calibrated (docs/benchmarks.md). */
export const ANIMAL_CUTS: Record<AnimalKind, AnimalCuts> = {
  cat: { cluster: 0.5, admit: 0.5, match: () => 0.5 },
  dog: { cluster: 0.5, admit: 0.5, match: () => 0.5 },
};
