// Entry of the inference worker threads (compiled to dist/src/identity/worker.js). Models load
// once per worker, at start; tasks are dispatched by name: identity tasks here, enhancement
// tasks from ../enhance/tasks.js, so one pool serves every CPU-heavy model.
import { parentPort } from 'node:worker_threads';
import { enhanceTasks } from '../enhance/tasks.js';
import { serveTasks, type TaskHandler } from './pool.js';
import { loadModels } from './models.js';
import { analyzeImage, analyzeImageVariants, cropFace, DEFAULT_EMBED_OPTIONS, type EmbedOptions } from './runtime.js';
import type { Box } from './types.js';
import { petTasks } from './pets/tasks.js';

function toBuffer(bytes: Uint8Array | ArrayBuffer): Buffer {
  return bytes instanceof ArrayBuffer ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const identityTasks: Record<string, TaskHandler> = {
  /** payload: { image: bytes, options?: EmbedOptions } → ImageAnalysis */
  'identity.analyze': async (p: { image: Uint8Array | ArrayBuffer; options?: EmbedOptions }) => ({
    result: await analyzeImage(toBuffer(p.image), p.options ?? DEFAULT_EMBED_OPTIONS),
  }),
  /** payload: { image, variants: EmbedOptions[] } → analysis with `variants` embeddings per face (benchmarks) */
  'identity.analyzeVariants': async (p: { image: Uint8Array | ArrayBuffer; variants: EmbedOptions[] }) => ({
    result: await analyzeImageVariants(toBuffer(p.image), p.variants),
  }),
  /** payload: { image, box, size?, margin? } → JPEG bytes (transferred) */
  'identity.cropFace': async (p: { image: Uint8Array | ArrayBuffer; box: Box; size?: number; margin?: number }) => {
    const jpeg = await cropFace(toBuffer(p.image), p.box, { size: p.size, margin: p.margin });
    const ab = new ArrayBuffer(jpeg.byteLength);
    new Uint8Array(ab).set(jpeg);
    return { result: new Uint8Array(ab), transfer: [ab] };
  },
  /** Live tensor count, to check that inference does not leak. */
  'identity.stats': async () => {
    const { tf } = await loadModels();
    return { result: { numTensors: tf.memory().numTensors, backend: tf.getBackend() } };
  },
};

if (parentPort) {
  // Start loading at once so the first task does not pay for it; failures surface per task.
  const ready = loadModels();
  ready.catch(() => undefined);
  void serveTasks(parentPort, { ...enhanceTasks, ...identityTasks, ...petTasks });
}
