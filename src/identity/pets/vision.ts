// The pet vision pipeline, run inside a pool worker (never on the HTTP event loop):
// decode → CenterNet on the image padded to a square (cats, dogs, people + its stride-32
// backbone map) → per animal: square crop → MobileNetV2 (and its mirror) + HSV histogram +
// CenterNet backbone pooled over the box → frozen vector → trained head → unit embedding.
//
// Interface (stable; the product layer builds on it):
//   analyzePets(bytes)            → PetAnalysis {width, height, animals[{kind, box, score, embedding, ...}], persons}
//   detectPets(bytes)             → PetDetections (boxes only, fast detector: training's first pass)
//   detectAnimals(decoded)        → {animals: AnimalDetection[], persons}
//   embedAnimal(decoded, box, kind) → Float32Array (unit length)
//   similarity(a, b), thresholds  → ./thresholds.ts (pure)
// Boxes are [x, y, width, height] in original-image pixels.
import type { GraphModel, Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { decodeForAnalysis, type DecodedImage } from '../runtime.js';
import { loadModels, type Tf } from '../models.js';
import { cropMetrics, QUALITY_CROP_SIZE } from '../quality-metrics.js';
import type { Box } from '../types.js';
import { applyHead, frozenVector, speciesScore, type FeatureBlockName } from './head.js';
import {
  hsvHistogram,
  parseDetections,
  roiAverage,
  selectDetections,
  squareCrop,
  toImageBox,
  type DetectOptions,
  type RawDetection,
} from './features.js';
import {
  CENTERNET_C5,
  CENTERNET_DETECTIONS,
  CENTERNET_INPUT,
  MOBILENET_INPUT,
  SUBJECT_DETECTOR_INPUT,
  loadCenterNetAt,
  loadPetModels,
  type PetModels,
} from './models.js';
import type { AnimalDetection, AnimalKind, AnimalObservation, PetAnalysis, PetDetections } from './types.js';

/** Longest side pets are analysed at: the detector sees at most 512 px, crops need little more. */
export const PET_MAX_SIDE = 1024;

/**
 * Detection cuts. CenterNet's class scores on animals are low (a clear cat often scores
 * 0.3–0.5); 0.17 was the cut that found most cats and dogs with no pets on people photos in
 * the previous session's measurement; bench/pets-detect.ts re-measures it.
 */
export const DEFAULT_DETECT: DetectOptions = { minAnimalScore: 0.17, minPersonScore: 0.3, iou: 0.45 };

/** The 2×2 overlapping cells (half-open row/column ranges of the 7×7 map) of the `grid` block. */
const GRID_CELLS: Array<[number, number]> = [
  [0, 4],
  [3, 7],
];

/** Margin around the detected box for the embedding crop (some context: ears, coat). */
export const CROP_MARGIN = 0.1;

interface DetectorPass {
  animals: Array<AnimalDetection & { det: RawDetection }>;
  persons: Array<{ box: Box; score: number }>;
  /** CenterNet stride-32 map [H, W, C] of the padded image, for ROI pooling. */
  c5: { data: Float32Array; H: number; W: number; C: number };
  /** Side of the padded square in analysis pixels. */
  side: number;
}

function imageTensor({ tf }: { tf: Tf }, img: DecodedImage): Tensor3D {
  return tf.tensor3d(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), [img.height, img.width, 3], 'int32');
}

/** A CenterNet graph and the input side it was loaded for. */
export interface Detector {
  model: GraphModel;
  input: number;
}

async function runDetector(
  models: { tf: Tf; centernet: GraphModel },
  image: Tensor3D,
  img: DecodedImage,
  opts: DetectOptions,
  detector: Detector = { model: models.centernet, input: CENTERNET_INPUT },
): Promise<DetectorPass> {
  const { tf } = models;
  const S = detector.input;
  const side = Math.max(img.width, img.height);
  // Pad right/bottom to a square (coordinates stay put), then resize to the detector's input.
  const input = tf.tidy(() => {
    const padded = tf.pad(image, [[0, side - img.height], [0, side - img.width], [0, 0]]);
    return tf.image.resizeBilinear(tf.cast(padded, 'float32') as Tensor3D, [S, S]).expandDims(0);
  });
  let outs: Tensor[];
  try {
    outs = detector.model.execute(input, [CENTERNET_DETECTIONS, CENTERNET_C5]) as Tensor[];
  } finally {
    input.dispose();
  }
  try {
    const [detT, c5T] = outs;
    const rows = await detT.data();
    const dets = parseDetections(rows, detT.shape[1] ?? 0);
    const { animals, persons } = selectDetections(dets, opts);
    const scale = S / side;
    const toOriginal = img.originalWidth / img.width;
    const orig = (b: Box): Box => b.map((v) => v * toOriginal) as Box;
    const [, H, W, C] = c5T.shape as number[];
    const c5 = { data: (await c5T.data()) as Float32Array, H, W, C };
    return {
      side,
      c5,
      animals: animals.flatMap(({ kind, det, speciesScores }) => {
        const b = toImageBox(det, scale, img.width, img.height);
        return b ? [{ kind, det, box: orig(b), score: round(det.score), speciesScores }] : [];
      }),
      persons: persons.flatMap((det) => {
        const b = toImageBox(det, scale, img.width, img.height);
        return b ? [{ box: orig(b), score: round(det.score) }] : [];
      }),
    };
  } finally {
    for (const t of outs) t.dispose();
  }
}

const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

/** Raw frozen feature blocks of one animal (benchmarks and training cache these); `cn` needs the detector pass. */
export type FeatureBlocks = Partial<Record<FeatureBlockName, Float32Array>>;

async function featureBlocks(
  models: PetModels,
  image: Tensor3D,
  img: DecodedImage,
  pass: DetectorPass | null,
  box: Box,
  wantGrid = true,
): Promise<{ blocks: FeatureBlocks; sharpness: number; brightness: number }> {
  const { tf } = models;
  const toAnalysis = img.width / img.originalWidth;
  const aBox = box.map((v) => v * toAnalysis) as Box;
  const [x, y, w, h] = squareCrop(aBox, CROP_MARGIN, img.width, img.height);
  const W1 = img.width - 1 || 1;
  const H1 = img.height - 1 || 1;
  const { crop, grey } = tf.tidy(() => {
    const f = tf.cast(image, 'float32').expandDims(0) as Tensor4D;
    const boxes = tf.tensor2d([[y / H1, x / W1, (y + h) / H1, (x + w) / W1]]);
    return {
      crop: tf.image.cropAndResize(f, boxes, [0], [MOBILENET_INPUT, MOBILENET_INPUT]),
      // The quality crop is the detector's box itself (no margin), like faces'.
      grey: tf.image.cropAndResize(
        f,
        tf.tensor2d([[aBox[1] / H1, aBox[0] / W1, (aBox[1] + aBox[3]) / H1, (aBox[0] + aBox[2]) / W1]]),
        [0],
        [QUALITY_CROP_SIZE, QUALITY_CROP_SIZE],
      ),
    };
  });
  try {
    const pixels = await crop.data();
    const qpx = await grey.data();
    const metrics = cropMetrics(qpx, QUALITY_CROP_SIZE, QUALITY_CROP_SIZE);
    const maps = tf.tidy(() => {
      const x01 = tf.div(crop, 255) as Tensor4D;
      const batch = tf.concat([x01, tf.reverse(x01, 2)], 0);
      const [fm, mid] = models.mobilenet.predict(batch) as Tensor4D[]; // [2,7,7,1280], [2,14,14,576]
      // Pooled over space, averaged over the crop and its mirror (test-time flip).
      const pooled = [tf.mean(tf.mean(fm, [1, 2]), 0), tf.mean(tf.max(fm, [1, 2]), 0), tf.mean(tf.mean(mid, [1, 2]), 0)];
      if (!wantGrid) return pooled;
      // Grid cells: the mirror's map is flipped back first so each cell averages the same place.
      const [a, b] = tf.split(fm, 2, 0);
      const aligned = tf.mean(tf.concat([a, tf.reverse(b, 2)], 0), 0) as Tensor3D; // [7,7,1280]
      const cells = GRID_CELLS.flatMap(([r0, r1]) =>
        GRID_CELLS.map(([c0, c1]) => tf.mean(tf.slice(aligned, [r0, c0, 0], [r1 - r0, c1 - c0, -1]), [0, 1])),
      );
      return [...pooled, tf.concat(cells, 0)];
    });
    const [mnv2, mnv2max, mnv2mid, grid] = await Promise.all(maps.map(async (t) => (await t.data()) as Float32Array));
    for (const t of maps) t.dispose();
    const hsv = hsvHistogram(pixels, MOBILENET_INPUT, MOBILENET_INPUT);
    const blocks: FeatureBlocks = { hsv, mnv2, mnv2max, mnv2mid };
    if (grid) blocks.grid = grid;
    if (pass) {
      const s = pass.side;
      blocks.cn = roiAverage(pass.c5.data, pass.c5.H, pass.c5.W, pass.c5.C, {
        x1: aBox[0] / s,
        y1: aBox[1] / s,
        x2: (aBox[0] + aBox[2]) / s,
        y2: (aBox[1] + aBox[3]) / s,
      });
    }
    return { blocks, sharpness: metrics.sharpness, brightness: metrics.brightness };
  } finally {
    crop.dispose();
    grey.dispose();
  }
}

function headUses(models: PetModels, name: FeatureBlockName): boolean {
  return models.heads.features.blocks.some((b) => b.name === name);
}

function needsDetectorFeatures(models: PetModels): boolean {
  return headUses(models, 'cn');
}

/** Feature blocks of the whole image without running the detector (no `cn`): aligned crops. */
export async function wholeImageFeatures(input: Buffer): Promise<FeatureBlocks> {
  const img = await decodeForAnalysis(input, PET_MAX_SIDE);
  const models = await loadPetModels();
  const image = imageTensor(models, img);
  try {
    return (await featureBlocks(models, image, img, null, [0, 0, img.originalWidth, img.originalHeight])).blocks;
  } finally {
    image.dispose();
  }
}

function embedBlocks(models: PetModels, blocks: FeatureBlocks, kind: AnimalKind): Float32Array {
  const { heads } = models;
  return applyHead(frozenVector(blocks, heads.features), heads.kinds[kind]);
}

/**
 * Cats, dogs and people in a decoded image (boxes in original-image pixels). `detector`: another
 * CenterNet input side (models.ts loadCenterNetAt; benchmarks compare sizes), default the product's.
 */
export async function detectAnimals(img: DecodedImage, opts: DetectOptions = DEFAULT_DETECT, detector?: Detector) {
  // With its own detector, nothing else of the pet models is needed (training's first pass never loads them).
  const models = detector ? { tf: (await loadModels()).tf, centernet: detector.model } : await loadPetModels();
  const image = imageTensor(models, img);
  try {
    const pass = await runDetector(models, image, img, opts, detector);
    return { animals: pass.animals.map(({ det: _d, ...a }) => a), persons: pass.persons };
  } finally {
    image.dispose();
  }
}

/** Unit-length identity embedding of the animal in `box` (original-image pixels). */
export async function embedAnimal(img: DecodedImage, box: Box, kind: AnimalKind): Promise<Float32Array> {
  const models = await loadPetModels();
  const image = imageTensor(models, img);
  try {
    // The detector pass is only needed when the head uses its backbone features.
    const pass = needsDetectorFeatures(models) ? await runDetector(models, image, img, DEFAULT_DETECT) : null;
    const { blocks } = await featureBlocks(models, image, img, pass, box, headUses(models, 'grid'));
    return embedBlocks(models, blocks, kind);
  } finally {
    image.dispose();
  }
}

/**
 * Cats, dogs and people in one encoded image, boxes only, from the fast detector
 * (SUBJECT_DETECTOR_INPUT): training's first pass. Animals keep the detector's box (rounded) and
 * score; embeddings come from analyzePets, for the photos that need them.
 */
export async function detectPets(input: Buffer, opts: DetectOptions = DEFAULT_DETECT): Promise<PetDetections> {
  const img = await decodeForAnalysis(input, PET_MAX_SIDE);
  const detector = { model: await loadCenterNetAt(SUBJECT_DETECTOR_INPUT), input: SUBJECT_DETECTOR_INPUT };
  const { animals, persons } = await detectAnimals(img, opts, detector);
  const box = (b: Box) => b.map((v) => Math.round(v)) as Box;
  return {
    width: img.originalWidth,
    height: img.originalHeight,
    animals: animals.map((a) => ({ kind: a.kind, box: box(a.box), score: a.score })),
    persons: persons.map((p) => ({ box: box(p.box), score: p.score })),
  };
}

/** Full pet analysis of one encoded image: every cat and dog with its embedding, and people. */
export async function analyzePets(input: Buffer, opts: DetectOptions = DEFAULT_DETECT): Promise<PetAnalysis> {
  const img = await decodeForAnalysis(input, PET_MAX_SIDE);
  const models = await loadPetModels();
  const image = imageTensor(models, img);
  try {
    const pass = await runDetector(models, image, img, opts);
    const animals: AnimalObservation[] = [];
    for (const a of pass.animals) {
      const f = await featureBlocks(models, image, img, pass, a.box, headUses(models, 'grid'));
      animals.push({
        kind: a.kind,
        box: a.box.map((v) => Math.round(v)) as Box,
        score: a.score,
        ...(a.speciesScores ? { speciesScores: a.speciesScores } : {}),
        ...(models.heads.species ? { looksCat: round(speciesScore(frozenVector(f.blocks, models.heads.species.features), models.heads.species), 3) } : {}),
        embedding: Array.from(embedBlocks(models, f.blocks, a.kind), (v) => round(v, 6)),
        embedder: models.heads.ids[a.kind],
        sharpness: round(f.sharpness, 2),
        brightness: round(f.brightness, 2),
      });
    }
    return {
      width: img.originalWidth,
      height: img.originalHeight,
      animals,
      persons: pass.persons.map((p) => ({ box: p.box.map((v) => Math.round(v)) as Box, score: p.score })),
    };
  } finally {
    image.dispose();
  }
}

/**
 * For benchmarks and training: detections plus the raw feature blocks of every animal found,
 * and of `extraBox` (e.g. the whole image for aligned dog-face crops the detector missed).
 */
export async function petFeaturesForDataset(
  input: Buffer,
  opts: { detect?: DetectOptions; wholeImageFallback?: boolean; embed?: 'all' | 'best' | 'none' } = {},
): Promise<{
  width: number;
  height: number;
  /** Every detection; `blocks` on those embedded (opts.embed: all, the best one, none). */
  animals: Array<AnimalDetection & { blocks?: FeatureBlocks }>;
  persons: Array<{ box: Box; score: number }>;
  whole?: FeatureBlocks;
}> {
  const img = await decodeForAnalysis(input, PET_MAX_SIDE);
  const models = await loadPetModels();
  const image = imageTensor(models, img);
  try {
    const pass = await runDetector(models, image, img, opts.detect ?? DEFAULT_DETECT);
    const animals: Array<AnimalDetection & { blocks?: FeatureBlocks }> = [];
    const best = Math.max(...pass.animals.map((a) => a.score));
    for (const a of pass.animals) {
      const want = (opts.embed ?? 'all') === 'all' || (opts.embed === 'best' && a.score === best);
      const blocks = want ? (await featureBlocks(models, image, img, pass, a.box)).blocks : undefined;
      animals.push({ kind: a.kind, box: a.box, score: a.score, speciesScores: a.speciesScores, blocks });
    }
    const whole = opts.wholeImageFallback
      ? (await featureBlocks(models, image, img, pass, [0, 0, img.originalWidth, img.originalHeight])).blocks
      : undefined;
    return { width: img.originalWidth, height: img.originalHeight, animals, persons: pass.persons, whole };
  } finally {
    image.dispose();
  }
}
