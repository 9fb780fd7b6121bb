// Probe (not shipped): does fine-tuning MobileNetV2's last 1×1 conv (Conv_1, 320 → 1280) with a
// CosFace loss on the TRAIN dogs beat the closed-form head on the TUNE dogs? Caches the
// block_16_project_BN maps (7×7×320) of train and tune dogs, starts from nsfwjs' Conv_1 weights
// (batch norm folded in, so epoch 0 is the frozen mnv2 block), trains Conv_1 + a 1280 → 128
// projection on tfjs' wasm backend (gradients of matMul, no conv kernels needed for 1×1).
//
//   npx tsc -p . && node dist/scripts/pets/probe-finetune.js [--epochs 12] [--batch 64]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModels } from '../../src/identity/models.js';
import { loadNsfwModel } from '../../src/identity/pets/models.js';
import { decodeForAnalysis } from '../../src/identity/runtime.js';
import { readFeatures } from './cache.js';
import { PETS_DIR, rng } from './dataset.js';
import { samples, TRAIN_FEATURES } from './train.js';
import { verify } from './eval.js';

const arg = (n: string, d: number) => (process.argv.includes(n) ? Number(process.argv[process.argv.indexOf(n) + 1]) : d);
const P = 49;
const C = 320;
const D = 1280;

async function main() {
  const { tf } = await loadModels();
  const full = await loadNsfwModel(tf, 'mobilenet_v2');
  const photos = readFeatures();
  const ss = samples(photos, TRAIN_FEATURES).filter((s) => s.kind === 'dog' && (s.part === 'train' || s.part === 'tune'));
  const cacheFile = path.resolve('.cache/pets/b16-train-tune.f32');
  let maps: Float32Array;
  if (existsSync(cacheFile)) maps = new Float32Array(readFileSync(cacheFile).buffer.slice(0));
  else {
    const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer('block_16_project_BN').output as any });
    maps = new Float32Array(ss.length * P * C);
    const t0 = Date.now();
    for (const [i, s] of ss.entries()) {
      const img = await decodeForAnalysis(readFileSync(path.join(PETS_DIR, s.file)), 1024);
      const out = tf.tidy(() => {
        const t = tf.tensor3d(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), [img.height, img.width, 3], 'int32');
        const x = tf.div(tf.image.resizeBilinear(tf.cast(t, 'float32') as any, [224, 224]), 255).expandDims(0);
        return cut.predict(x) as any;
      });
      maps.set((await out.data()) as Float32Array, i * P * C);
      out.dispose();
      if (i % 500 === 0) console.log(`maps ${i}/${ss.length} (${((Date.now() - t0) / (i + 1)).toFixed(0)} ms/photo)`);
    }
    writeFileSync(cacheFile, Buffer.from(maps.buffer));
  }
  // Conv_1 with its batch norm folded: y = (x·K − μ)·γ/√(σ²+ε) + β.
  const [kernel] = full.getLayer('Conv_1').getWeights();
  const [gamma, beta, mu, varr] = full.getLayer('Conv_1_bn').getWeights();
  const eps = (full.getLayer('Conv_1_bn').getConfig() as any).epsilon ?? 1e-3;
  const s = tf.div(gamma, tf.sqrt(tf.add(varr, eps)));
  const W1 = tf.variable(tf.mul(tf.reshape(kernel, [C, D]), s));
  const b1 = tf.variable(tf.sub(beta, tf.mul(mu, s)));
  const trainIdx = ss.map((x, i) => (x.part === 'train' ? i : -1)).filter((i) => i >= 0);
  const tuneIdx = ss.map((x, i) => (x.part === 'tune' ? i : -1)).filter((i) => i >= 0);
  const classes = [...new Set(trainIdx.map((i) => ss[i].animal))];
  const cls = new Map(classes.map((c, i) => [c, i]));
  const E = 128;
  const W2 = tf.variable(tf.randomNormal([D, E], 0, 1 / Math.sqrt(D), 'float32', 1));
  const Wc = tf.variable(tf.randomNormal([E, classes.length], 0, 1, 'float32', 2));
  const lrBackbone = arg('--lr-conv', 1e-4);
  const optHead = tf.train.adam(arg('--lr', 2e-3));
  const optConv = tf.train.adam(lrBackbone);
  const batchOf = (idx: number[], flip: boolean[]) => {
    const buf = new Float32Array(idx.length * P * C);
    idx.forEach((k, b) => {
      const src = maps.subarray(k * P * C, (k + 1) * P * C);
      if (!flip[b]) buf.set(src, b * P * C);
      else for (let r = 0; r < 7; r++) for (let c = 0; c < 7; c++) buf.set(src.subarray((r * 7 + c) * C, (r * 7 + c + 1) * C), b * P * C + (r * 7 + (6 - c)) * C);
    });
    return tf.tensor2d(buf, [idx.length * P, C]);
  };
  const pooledOf = (x: any, n: number) => tf.mean(tf.reshape(tf.clipByValue(tf.add(tf.matMul(x, W1), b1), 0, 6), [n, P, D]), 1);
  const evalTune = async (withHead: boolean) => {
    const embs: Float32Array[] = [];
    for (let o = 0; o < tuneIdx.length; o += 64) {
      const idx = tuneIdx.slice(o, o + 64);
      const e = tf.tidy(() => {
        const a = pooledOf(batchOf(idx, idx.map(() => false)), idx.length);
        const b = pooledOf(batchOf(idx, idx.map(() => true)), idx.length);
        const p = tf.div(tf.add(a, b), 2);
        const z = withHead ? tf.matMul(p, W2) : tf.sub(p, tf.mean(p, 0, true));
        return tf.div(z, tf.norm(z, 2, 1, true));
      });
      const d = (await e.data()) as Float32Array;
      e.dispose();
      const w = d.length / idx.length;
      idx.forEach((_, b) => embs.push(d.slice(b * w, (b + 1) * w)));
    }
    return verify(tuneIdx.map((k, i) => ({ animal: ss[k].animal, file: ss[k].file, embedding: embs[i] })));
  };
  const r0 = await evalTune(false);
  console.log(`epoch 0 (frozen out_relu avg, centred on tune): tune AUC ${r0.auc.toFixed(4)} TAR@1% ${(100 * r0.tarFar1).toFixed(1)}%`);
  const epochs = arg('--epochs', 12);
  const B = arg('--batch', 64);
  const r = rng(3);
  for (let ep = 1; ep <= epochs; ep++) {
    const order = [...trainIdx].sort(() => r() - 0.5);
    const t0 = Date.now();
    let lossSum = 0;
    let steps = 0;
    for (let o = 0; o + B <= order.length; o += B) {
      const idx = order.slice(o, o + B);
      const flips = idx.map(() => r() < 0.5);
      const y = tf.oneHot(tf.tensor1d(idx.map((k) => cls.get(ss[k].animal)!), 'int32'), classes.length);
      const x = batchOf(idx, flips);
      const lossFn = () =>
        tf.tidy(() => {
          const z = tf.matMul(pooledOf(x, idx.length), W2);
          const e = tf.div(z, tf.norm(z, 2, 1, true));
          const wc = tf.div(Wc, tf.norm(Wc, 2, 0, true));
          return tf.losses.softmaxCrossEntropy(y, tf.mul(tf.sub(tf.matMul(e, wc), tf.mul(y, 0.25)), 24)) as any;
        });
      const grads = tf.variableGrads(lossFn, [W1, b1, W2, Wc]);
      optHead.applyGradients([W2, Wc].map((v) => ({ name: v.name, tensor: grads.grads[v.name] })));
      optConv.applyGradients([W1, b1].map((v) => ({ name: v.name, tensor: grads.grads[v.name] })));
      lossSum += (await grads.value.data())[0];
      steps++;
      grads.value.dispose();
      Object.values(grads.grads).forEach((g) => g.dispose());
      x.dispose();
      y.dispose();
    }
    const rt = await evalTune(true);
    console.log(`epoch ${ep}: loss ${(lossSum / steps).toFixed(3)}, ${((Date.now() - t0) / 1000).toFixed(0)} s; tune AUC ${rt.auc.toFixed(4)} TAR@1% ${(100 * rt.tarFar1).toFixed(1)}% @0.1% ${(100 * rt.tarFar01).toFixed(1)}%`);
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
