// Interleaved 8-bit RGB pixels: the form every pure enhancement step takes and returns.
export interface RawRgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Rec. 601 luma of an RGB image as floats 0..255 (one plane). */
export function lumaPlane(img: RawRgb): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = 0.299 * d[j] + 0.587 * d[j + 1] + 0.114 * d[j + 2];
  return out;
}

/** Splits interleaved RGB into three float planes. */
export function toPlanes(img: RawRgb): [Float32Array, Float32Array, Float32Array] {
  const n = img.width * img.height;
  const r = new Float32Array(n), g = new Float32Array(n), b = new Float32Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    r[i] = d[j];
    g[i] = d[j + 1];
    b[i] = d[j + 2];
  }
  return [r, g, b];
}

/** Joins three float planes into interleaved RGB, rounding and clamping to 0..255. */
export function fromPlanes(planes: Float32Array[], width: number, height: number): RawRgb {
  const n = width * height;
  const data = new Uint8Array(n * 3);
  for (let c = 0; c < 3; c++) {
    const p = planes[c];
    for (let i = 0; i < n; i++) {
      const v = p[i];
      data[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { data, width, height };
}
