// Pool tasks of the pet vision layer (served by ../worker.ts next to the face tasks).
import type { TaskHandler } from '../pool.js';
import { loadPetModels } from './models.js';
import { analyzePets, detectPets } from './vision.js';

function toBuffer(bytes: Uint8Array | ArrayBuffer): Buffer {
  return bytes instanceof ArrayBuffer ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const petTasks: Record<string, TaskHandler> = {
  /** payload: { image: bytes } → PetAnalysis (cats, dogs with embeddings, people boxes) */
  'pets.analyze': async (p: { image: Uint8Array | ArrayBuffer }) => ({ result: await analyzePets(toBuffer(p.image)) }),
  /** payload: { image: bytes } → PetDetections (boxes only, the fast detector; training's first pass) */
  'pets.detect': async (p: { image: Uint8Array | ArrayBuffer }) => ({ result: await detectPets(toBuffer(p.image)) }),
  /** Whether the trained heads are loaded, per species (for health checks and tests). */
  'pets.info': async () => {
    const { heads } = await loadPetModels();
    return { result: { trained: heads.trained, features: heads.features } };
  },
};
