// The one TensorFlow.js instance of this thread. Uses `require` so it is the same CJS module
// the identity runtime (src/identity/models.ts) and its libraries load: one tfjs-core, one
// wasm backend. If the identity models already initialised wasm, this only reuses it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type Tf = typeof import('@tensorflow/tfjs');

let ready: Promise<Tf> | undefined;

export function getTf(): Promise<Tf> {
  ready ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    if (!tf.findBackend('wasm')) require('@tensorflow/tfjs-backend-wasm');
    if (tf.getBackend() !== 'wasm') {
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('tfjs wasm backend failed to initialise');
    }
    await tf.ready();
    return tf;
  })();
  return ready;
}
