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

/** The input side CenterNet was exported with (its graph's placeholder and size constants). */
export const CENTERNET_INPUT = 512;
/**
 * The side training's first pass runs CenterNet at (pets.detect: which kind of subject a set
 * shows, and the face veto; no embeddings). The network is fully convolutional: only its input
 * placeholder and a few size constants are fixed at 512 (rewritten by `loadCenterNet`), and its
 * cost grows with the area. bench/pets-detector-size.ts measured detection, the face veto and
 * the time at 512 / 384 / 320 on the same photos (docs/benchmarks.md). Embeddings (pets.analyze)
 * keep 512: the re-identification head was trained and its cuts chosen on those boxes.
 */
export const SUBJECT_DETECTOR_INPUT = 320;
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
  const centernet = await loadCenterNet(tf, humanDir, CENTERNET_INPUT);
  const mobilenet = await loadNsfwMobileNet(tf);
  const heads = loadHeads();
  return { tf, centernet, mobilenet, heads };
}

async function loadNsfwMobileNet(tf: Tf): Promise<import('@tensorflow/tfjs').LayersModel> {
  const full = await loadNsfwModel(tf, 'mobilenet_v2');
  // Last conv block (7×7×1280) and a mid-level one (14×14×576, finer texture) in one pass.
  const outputs = ['out_relu', 'block_13_expand_relu'].map((n) => full.getLayer(n).output as import('@tensorflow/tfjs').SymbolicTensor);
  return tf.model({ inputs: full.inputs, outputs });
}

/** One of nsfwjs' whole Keras models from its package files (the product uses mobilenet_v2; probes the others). */
export async function loadNsfwModel(tf: Tf, name: 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3'): Promise<import('@tensorflow/tfjs').LayersModel> {
  const dir = path.join(packageDir('nsfwjs', 'nsfwjs'), 'dist', 'models', name);
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
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
}

/** CenterNet at another input side (training's first pass; benchmarks compare sizes), loaded once per side. */
export function loadCenterNetAt(inputSize: number): Promise<import('@tensorflow/tfjs').GraphModel> {
  if (inputSize === CENTERNET_INPUT) return loadPetModels().then((m) => m.centernet);
  let m = centernets.get(inputSize);
  if (!m) {
    m = loadModels().then(({ tf }) => loadCenterNet(tf, packageDir('@vladmandic/human', '@vladmandic/human'), inputSize));
    centernets.set(inputSize, m);
    m.catch(() => centernets.delete(inputSize));
  }
  return m;
}
const centernets = new Map<number, Promise<import('@tensorflow/tfjs').GraphModel>>();

/**
 * The graph's constants that encode the 512 input: the stride-4 map's side (128: index → x, y),
 * its area (128² rows gathered for the boxes) and the three upsampling targets of the head
 * (32, 64, 128: strides 16, 8, 4). Everything else is convolutions and shape-free ops.
 */
export function centernetSizeConstants(inputSize: number): Record<string, number[]> {
  if (inputSize % 32 !== 0 || inputSize < 64) throw new RangeError(`CenterNet input must be a multiple of 32 (got ${inputSize})`);
  const map = inputSize / 4;
  return {
    'tower_0/strided_slice_6': [map],
    'tower_0/BatchGather/concat': [map * map, 4],
    'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': [inputSize / 16, inputSize / 16],
    'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': [inputSize / 8, inputSize / 8],
    'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': [inputSize / 4, inputSize / 4],
  };
}

/** Human's CenterNet from its package files, its size constants rewritten for `inputSize`. */
async function loadCenterNet(tf: Tf, humanDir: string, inputSize: number): Promise<import('@tensorflow/tfjs').GraphModel> {
  const file = path.join(humanDir, 'models', 'centernet.json');
  if (inputSize === CENTERNET_INPUT) return tf.loadGraphModel(pathToFileURL(file).href);
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    modelTopology: { node: Array<{ name: string; op: string; attr?: Record<string, any> }> };
    weightsManifest: Array<{ paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }>;
    signature?: { inputs?: Record<string, { tensorShape?: { dim: Array<{ size: string }> } }> };
    [k: string]: unknown;
  };
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(path.dirname(file), p)))));
  const tensors = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs);
  try {
    for (const [name, values] of Object.entries(centernetSizeConstants(inputSize))) {
      const t = tensors[name];
      if (!t || t.dtype !== 'int32' || t.size !== values.length) throw new Error(`CenterNet graph has no size constant ${name} as expected`);
      t.dispose();
      tensors[name] = tf.tensor(values, t.shape, 'int32');
    }
    const dims = [1, inputSize, inputSize, 3].map((d) => ({ size: String(d) }));
    const input = json.modelTopology.node.find((n) => n.op === 'Placeholder');
    if (!input?.attr?.shape?.shape) throw new Error('CenterNet graph has no input placeholder');
    input.attr.shape.shape.dim = dims;
    const sig = json.signature?.inputs?.[input.name];
    if (sig?.tensorShape) sig.tensorShape.dim = dims;
    const { data, specs: newSpecs } = await tf.io.encodeWeights(tensors);
    return await tf.loadGraphModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: newSpecs, weightData: data, signature: json.signature } as import('@tensorflow/tfjs').io.ModelArtifacts),
    );
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
