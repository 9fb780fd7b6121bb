// Output pixel sizes (decisions #9). Pure.
// 1K sizes are what the default base model produces; each resolution step doubles both
// sides (~4x the pixels), keeping every side a multiple of 16.

export type AspectRatio = '1:1' | '3:4' | '4:3' | '9:16' | '16:9';
export type AspectOption = 'auto' | AspectRatio;
export type Resolution = '1K' | '2K' | '4K';

export interface Size {
  width: number;
  height: number;
}

export const ASPECT_RATIOS: readonly AspectRatio[] = ['1:1', '3:4', '4:3', '9:16', '16:9'];
export const RESOLUTIONS: readonly Resolution[] = ['1K', '2K', '4K'];

const SIZES_1K: Record<AspectRatio, Size> = {
  '1:1': { width: 1024, height: 1024 },
  '4:3': { width: 1184, height: 864 },
  '3:4': { width: 864, height: 1184 },
  '16:9': { width: 1344, height: 768 },
  '9:16': { width: 768, height: 1344 },
};

const SCALE: Record<Resolution, number> = { '1K': 1, '2K': 2, '4K': 4 };

/** Nominal ratio of each aspect (not the rounded pixel sizes). */
const RATIO: Record<AspectRatio, number> = {
  '1:1': 1,
  '4:3': 4 / 3,
  '3:4': 3 / 4,
  '16:9': 16 / 9,
  '9:16': 9 / 16,
};

/**
 * The aspect of the five that is closest to w:h, compared in log space so that 2:1 and 1:2
 * are treated symmetrically. Throws RangeError on non-positive sizes.
 */
export function snapAspect(width: number, height: number): AspectRatio {
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  const r = Math.log(width / height);
  let best: AspectRatio = '1:1';
  let bestDist = Infinity;
  for (const a of ASPECT_RATIOS) {
    const d = Math.abs(r - Math.log(RATIO[a]));
    if (d < bestDist) {
      best = a;
      bestDist = d;
    }
  }
  return best;
}

/**
 * Pixel size of an output. `auto` follows the input image's aspect (snapped) and is 1:1
 * without an input (generate).
 */
export function outputSize(
  aspect: AspectOption,
  resolution: Resolution,
  inputSize?: Size,
): Size & { aspectRatio: AspectRatio } {
  const aspectRatio: AspectRatio =
    aspect === 'auto' ? (inputSize ? snapAspect(inputSize.width, inputSize.height) : '1:1') : aspect;
  const base = SIZES_1K[aspectRatio];
  const scale = SCALE[resolution];
  if (!base || !scale) throw new RangeError(`unknown aspect ${aspect} or resolution ${resolution}`);
  return { width: base.width * scale, height: base.height * scale, aspectRatio };
}
