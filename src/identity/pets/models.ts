// Loads the frozen pet backbones once per process (i.e. once per pool worker), on the same
// tfjs instance and wasm backend as the face models: Human's CenterNet (COCO objects; also the
// source of pooled backbone features) and nsfwjs' MobileNetV2 (a Keras model whose weights ship
// as base64 bundles inside the package; we cut it at its last convolutional block).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModels, type Tf } from '../models.js';
import { loadHeads, type PetHeads } from './head.js';

const require = createRequire(import.meta.url);

export interface PetModels {
  tf: Tf;
  /** CenterNet MobileNetV3 graph model, input [1,512,512,3] in 0..255. */
  centernet: import('@tensorflow/tfjs').GraphModel;
  /** MobileNetV2 (nsfwjs) cut: [n,224,224,3] in 0..1 → [[n,7,7,1280] out_relu, [n,14,14,576] block_13_expand_relu]. */
  mobilenet: import('@tensorflow/tfjs').LayersModel;
  /** Trained re-identification heads per species (models/pets/head.json). */
  heads: PetHeads;
}

export const CENTERNET_INPUT = 512;
export const MOBILENET_INPUT = 224;
/** Graph nodes fetched from CenterNet besides the detections. */
export const CENTERNET_DETECTIONS = 'tower_0/detections';
/** Stride-32 backbone output (16×16 at 512 input), after the extra 1×1 conv. */
export const CENTERNET_C5 = 'tower_0/extern1/hard_swish/mul_1';

let loading: Promise<PetModels> | undefined;

/** Loads the pet models once per process; later calls share the same instances. */
export function loadPetModels(): Promise<PetModels> {
  loading ??= doLoad();
  loading.catch(() => (loading = undefined));
  return loading;
}

function packageDir(name: string, probe: string): string {
  // nsfwjs' `exports` map hides its model files: walk up from its entry to the package root.
  let dir = path.dirname(require.resolve(probe));
  for (;;) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === name) return dir;
    } catch {
      /* not the root yet */
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot locate package folder of ${name}`);
    dir = up;
  }
}

async function doLoad(): Promise<PetModels> {
  // The face models register the wasm backend and the file:// loader; reuse both.
  const { tf } = await loadModels();
  const humanDir = packageDir('@vladmandic/human', '@vladmandic/human');
  const centernet = await tf.loadGraphModel(pathToFileURL(path.join(humanDir, 'models', 'centernet.json')).href);
  const mobilenet = await loadNsfwMobileNet(tf);
  const heads = loadHeads();
  return { tf, centernet, mobilenet, heads };
}

async function loadNsfwMobileNet(tf: Tf): Promise<import('@tensorflow/tfjs').LayersModel> {
  const dir = path.join(packageDir('nsfwjs', 'nsfwjs'), 'dist', 'models', 'mobilenet_v2');
  // The bundles are UMD modules: the model JSON and one base64 string per weight shard.
  const json = require(path.join(dir, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
  };
  const specs: import('@tensorflow/tfjs').io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(Buffer.from(require(path.join(dir, `${p}.min.js`)) as string, 'base64'));
  }
  const all = Buffer.concat(buffers);
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
  // Last conv block (7×7×1280) and a mid-level one (14×14×576, finer texture) in one pass.
  const outputs = ['out_relu', 'block_13_expand_relu'].map((n) => full.getLayer(n).output as import('@tensorflow/tfjs').SymbolicTensor);
  return tf.model({ inputs: full.inputs, outputs });
}
