// Pure: the 2K output size for an input (decisions #9: the input's aspect snapped to the
// nearest of five ratios; 2K = the 1K sizes doubled, sides multiples of 16).

export interface OutputSize {
  width: number;
  height: number;
  aspect: '1:1' | '4:3' | '3:4' | '16:9' | '9:16';
}

const SIZES_2K: OutputSize[] = [
  { aspect: '1:1', width: 2048, height: 2048 },
  { aspect: '4:3', width: 2368, height: 1728 },
  { aspect: '3:4', width: 1728, height: 2368 },
  { aspect: '16:9', width: 2688, height: 1536 },
  { aspect: '9:16', width: 1536, height: 2688 },
];

/** Nearest aspect in log-ratio (so 2:1 and 1:2 are treated symmetrically). */
export function snapped2kSize(width: number, height: number): OutputSize {
  const r = Math.log(width / height);
  let best = SIZES_2K[0];
  let bestD = Infinity;
  for (const s of SIZES_2K) {
    const d = Math.abs(Math.log(s.width / s.height) - r);
    if (d < bestD) {
      bestD = d;
      best = s;
    }
  }
  return { ...best };
}

/**
 * The crop of the input (in input pixels) with the output's aspect, centred on the faces when
 * given (their union box), otherwise on the image centre. The crop is what gets upscaled.
 */
export function cropForAspect(
  width: number,
  height: number,
  out: { width: number; height: number },
  faces: Array<[number, number, number, number]> = [],
): { left: number; top: number; width: number; height: number } {
  const target = out.width / out.height;
  // Within 1% of the aspect: keep every pixel (the resize stretches imperceptibly) rather than
  // shave a row or column, which would shift the whole picture.
  if (Math.abs(Math.log(width / height / target)) < 0.01) return { left: 0, top: 0, width, height };
  let cw = width, ch = height;
  if (width / height > target) cw = Math.max(1, Math.round(height * target));
  else ch = Math.max(1, Math.round(width / target));
  let cx = width / 2, cy = height / 2;
  if (faces.length) {
    const x0 = Math.min(...faces.map((f) => f[0])), y0 = Math.min(...faces.map((f) => f[1]));
    const x1 = Math.max(...faces.map((f) => f[0] + f[2])), y1 = Math.max(...faces.map((f) => f[1] + f[3]));
    cx = (x0 + x1) / 2;
    cy = (y0 + y1) / 2;
  }
  const left = Math.round(Math.min(Math.max(0, cx - cw / 2), width - cw));
  const top = Math.round(Math.min(Math.max(0, cy - ch / 2), height - ch));
  return { left, top, width: cw, height: ch };
}
