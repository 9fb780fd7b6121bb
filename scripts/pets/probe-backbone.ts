// Probe (not shipped): other frozen backbone layers vs the cached blocks, on the dogs of one part:
// nsfwjs' InceptionV3 (299 px) or MobileNetV2 at other depths, global-average pooled, averaged
// with the mirror; prints ms per photo and frozen (centred) verification figures.
//
//   npx tsc -p . && node dist/scripts/pets/probe-backbone.js <part> <max photos> <layer,layer…> <inception_v3|mobilenet_v2>
//   e.g. … tune 100 mixed10,mixed7 inception_v3
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModels } from '../../src/identity/models.js';
import { loadNsfwModel } from '../../src/identity/pets/models.js';
import { decodeForAnalysis } from '../../src/identity/runtime.js';
import { readFeatures } from './cache.js';
import { PETS_DIR } from './dataset.js';
import { samples, TRAIN_FEATURES, meanOf } from './train.js';
import { verify } from './eval.js';
import { l2 } from '../../src/identity/pets/head.js';

const part = process.argv[2] ?? 'tune';
const limit = Number(process.argv[3] ?? 1e9);
const LAYERS = (process.argv[4] ?? 'mixed10,mixed7').split(',');
const MODEL = process.argv[5] ?? 'inception_v3';
const SIDE = MODEL === 'inception_v3' ? 299 : 224;
const OUT = path.resolve(`.cache/pets/probe-${MODEL}-${LAYERS.join('+')}-${part}.jsonl`);

async function main() {
  const { tf } = await loadModels();
  const full = await loadNsfwModel(tf, MODEL as 'inception_v3' | 'mobilenet_v2');
  const outs = LAYERS.map((n) => full.getLayer(n).output as any);
  const model = tf.model({ inputs: full.inputs, outputs: outs });
  const photos = readFeatures();
  const ss = samples(photos, TRAIN_FEATURES);
  const partOf = new Map(ss.map((s) => [s.file, s.part]));
  const dogs = photos.filter((p) => p.kind === 'dog' && partOf.get(p.file) === part).slice(0, limit);
  const have = new Set(existsSync(OUT) ? readFileSync(OUT, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).file) : []);
  const t0 = Date.now();
  let n = 0;
  for (const p of dogs) {
    if (have.has(p.file)) continue;
    const img = await decodeForAnalysis(readFileSync(path.join(PETS_DIR, p.file)), 1024);
    const feats = tf.tidy(() => {
      const t = tf.tensor3d(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), [img.height, img.width, 3], 'int32');
      const x = tf.div(tf.image.resizeBilinear(tf.cast(t, 'float32') as any, [SIDE, SIDE]), 255).expandDims(0);
      const batch = tf.concat([x, tf.reverse(x, 2)], 0);
      const o = model.predict(batch) as any;
      return (Array.isArray(o) ? o : [o]).map((a: any) => tf.mean(tf.mean(a, [1, 2]), 0));
    });
    const vals = await Promise.all(feats.map((t: any) => t.data()));
    feats.forEach((t: any) => t.dispose());
    appendFileSync(OUT, JSON.stringify({ file: p.file, f: vals.map((v: any) => Array.from(v as Float32Array, (x) => +x.toFixed(5))) }) + '\n');
    if (++n % 50 === 0) console.log(`${n} (${((Date.now() - t0) / n).toFixed(0)} ms/photo)`);
  }
  console.log(`extracted ${n} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const inc = new Map(readFileSync(OUT, 'utf8').split('\n').filter(Boolean).map((l) => { const r = JSON.parse(l); return [r.file, r]; }));
  const test = ss.filter((s) => s.kind === 'dog' && s.part === part && inc.has(s.file));
  const centre = (xs: Float32Array[]) => { const m = meanOf(xs); return xs.map((x) => l2(x.map((v, i) => v - m[i]))); };
  const report = (name: string, vs: Float32Array[]) => {
    const r = verify(test.map((s, i) => ({ animal: s.animal, file: s.file, embedding: vs[i] })));
    console.log(`${name}: AUC ${r.auc.toFixed(4)} TAR@1% ${(100 * r.tarFar1).toFixed(1)}% @0.1% ${(100 * r.tarFar01).toFixed(1)}%`);
  };
  report('mnv2 blocks (hsv+mnv2+max+mid), part-centred', centre(test.map((s) => s.x)));
  LAYERS.forEach((name, li) => report(name, centre(test.map((s) => l2(inc.get(s.file).f[li])))));
  report('all layers', centre(test.map((s) => Float32Array.from(LAYERS.flatMap((_, li) => [...l2(inc.get(s.file).f[li])])))));
  report('cached + all layers', centre(test.map((s) => Float32Array.from([...l2(s.x), ...LAYERS.flatMap((_, li) => [...l2(inc.get(s.file).f[li])])]))));
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
