// Loads the ML runtime once per process (i.e. once per pool worker): one tfjs-core on the
// wasm backend, Human (detector, mesh, pose, anti-spoof) and face-api (68-point
// landmarks, FaceRecognitionNet). Weights come from node_modules only; nothing is fetched.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Human as HumanClass, Config as HumanConfig } from '@vladmandic/human';

const require = createRequire(import.meta.url);

// Resolve package folders without triggering their `exports` restrictions.
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!readdirHasPackageJson(dir, name)) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot locate package folder of ${name}`);
    dir = up;
  }
  return dir;
}
function readdirHasPackageJson(dir: string, name: string): boolean {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === name;
  } catch {
    return false;
  }
}

export type Tf = typeof import('@tensorflow/tfjs');
export type FaceApi = typeof import('@vladmandic/face-api');

export interface Models {
  tf: Tf;
  human: HumanClass;
  faceapi: FaceApi;
}

let loading: Promise<Models> | undefined;

/** Loads every model once per process; later calls share the same instance. */
export function loadModels(): Promise<Models> {
  loading ??= doLoad();
  return loading;
}

async function doLoad(): Promise<Models> {
  // Same module instances Human and face-api require internally (one tfjs-core).
  const tf = require('@tensorflow/tfjs') as Tf;
  require('@tensorflow/tfjs-backend-wasm');
  registerFileLoader(tf);

  const humanDir = packageDir('@vladmandic/human');
  const faceApiDir = packageDir('@vladmandic/face-api');
  const wasmDir = path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep;

  const { Human } = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as {
    Human: new (config?: Partial<HumanConfig>) => HumanClass;
  };
  const faceapi = require(path.join(faceApiDir, 'dist', 'face-api.node-wasm.js')) as FaceApi;

  const human = new Human(humanConfig(pathToFileURL(path.join(humanDir, 'models')).href + '/', wasmDir));
  await human.init(); // selects and initialises the wasm backend
  await human.load();

  const modelDir = path.join(faceApiDir, 'model');
  await loadFaceApiNet(tf, faceapi.nets.faceLandmark68Net, modelDir, 'face_landmark_68_model');
  await loadFaceApiNet(tf, faceapi.nets.faceRecognitionNet, modelDir, 'face_recognition_model');
  return { tf, human, faceapi };
}

function humanConfig(modelBasePath: string, wasmPath: string): Partial<HumanConfig> {
  return {
    backend: 'wasm',
    wasmPath,
    modelBasePath,
    debug: false,
    async: false,
    warmup: 'none',
    // Every call is an unrelated photo: never reuse results from a "previous frame".
    cacheSensitivity: 0,
    skipAllowed: false,
    filter: { enabled: false } as HumanConfig['filter'],
    face: {
      enabled: true,
      detector: {
        modelPath: 'blazeface.json',
        rotation: true,
        maxDetected: 50,
        minConfidence: 0.3,
        iouThreshold: 0.1,
        skipFrames: 0,
        skipTime: 0,
        return: false,
        mask: false,
        scale: 1.4, // Human's default box enlargement; landmarkNetBox() was measured with it
        square: false, // we pad to a square ourselves (right/bottom, so coordinates stay put)
      },
      mesh: { enabled: true, modelPath: 'facemesh.json', keepInvalid: false },
      attention: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      gear: { enabled: false },
      antispoof: { enabled: true, modelPath: 'antispoof.json', skipFrames: 0, skipTime: 0 },
      // Liveness measured no better than antispoof at telling drawings from photos here; off to save time.
      liveness: { enabled: false },
    } as unknown as HumanConfig['face'],
    body: { enabled: false } as HumanConfig['body'],
    hand: { enabled: false } as HumanConfig['hand'],
    object: { enabled: false } as HumanConfig['object'],
    gesture: { enabled: false },
    segmentation: { enabled: false } as HumanConfig['segmentation'],
  };
}

let fileLoaderRegistered = false;

/** tfjs without tfjs-node cannot read file:// URLs: one load router per process fixes that. */
function registerFileLoader(tf: Tf): void {
  if (fileLoaderRegistered) return;
  fileLoaderRegistered = true;
  tf.io.registerLoadRouter(((url: string | string[]) => {
    const u = Array.isArray(url) ? url[0] : url;
    if (typeof u !== 'string' || !u.startsWith('file://')) return null;
    return {
      async load() {
        const modelPath = fileURLToPath(u);
        const json = JSON.parse(await readFile(modelPath, 'utf8'));
        const dir = path.dirname(modelPath);
        const specs = [];
        const buffers: Buffer[] = [];
        for (const group of json.weightsManifest ?? []) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)));
        }
        const all = Buffer.concat(buffers);
        return {
          modelTopology: json.modelTopology,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          modelInitializer: json.modelInitializer,
          weightSpecs: specs,
          weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        };
      },
    };
  }) as unknown as Parameters<Tf['io']['registerLoadRouter']>[0]);
}

/** face-api nets take a weight map: decode the manifest + shards ourselves (no fetch, no env). */
async function loadFaceApiNet(
  tf: Tf,
  net: { loadFromWeightMap(map: Record<string, unknown>): void },
  dir: string,
  name: string,
): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(dir, `${name}-weights_manifest.json`), 'utf8'));
  const specs = [];
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const map = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), specs);
  net.loadFromWeightMap(map);
}
