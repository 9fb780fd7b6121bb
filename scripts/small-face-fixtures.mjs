// Regenerates test/fixtures/photos/caltech_p06_00NN_face100.jpg: press-photo-like copies of
// caltech_p06_0090..0099 (250 px wide, as high as the photo allows, the face about 100 px, softened by a
// Gaussian σ 0.7 px as CMS resampling and phone processing leave photos, JPEG q70), the small-face training
// fixtures of issue #8. Needs a build (npx tsc -p .); run: node scripts/small-face-fixtures.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { createIdentityEngine } from '../dist/src/identity/engine.js';
import { primaryFace } from '../dist/src/identity/screen.js';

const DIR = new URL('../test/fixtures/photos/', import.meta.url);
const OUT = new URL(process.env.OUT_DIR ? `file://${process.env.OUT_DIR}/` : DIR);
/** Softening after the downscale (Gaussian sigma, px), as CMS resampling and phone processing leave. */
const SOFTEN = Number(process.env.SOFTEN ?? 0.7);
const FACE = 100;
const SIDE = 250;
const engine = await createIdentityEngine({ workers: 1 });
try {
  for (let n = 90; n <= 99; n++) {
    const src = readFileSync(new URL(`caltech_p06_00${n}.jpg`, DIR));
    const a = await engine.analyze(src);
    const [x, y, w, h] = a.faces[primaryFace(a)].box;
    const scale = FACE / Math.max(w, h);
    const W = Math.round(a.width * scale);
    const H = Math.round(a.height * scale);
    const cx = (x + w / 2) * scale;
    const cy = (y + h / 2) * scale;
    const cw = Math.min(SIDE, W);
    const ch = Math.min(SIDE, H); // a few photos are wide and low: then the crop is too
    const left = Math.round(Math.min(Math.max(0, cx - cw / 2), W - cw));
    const top = Math.round(Math.min(Math.max(0, cy - ch / 2), H - ch));
    const out = await sharp(src).resize(W, H).extract({ left, top, width: cw, height: ch }).blur(SOFTEN).jpeg({ quality: 70 }).toBuffer();
    writeFileSync(new URL(`caltech_p06_00${n}_face100.jpg`, OUT), out);
    console.log(`caltech_p06_00${n}_face100.jpg: face ${Math.max(w, h)} px → ${FACE}, resized to ${W}×${H}, crop at ${left},${top}`);
  }
} finally {
  await engine.close();
}
