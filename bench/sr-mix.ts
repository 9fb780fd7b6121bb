// How much of ESRGAN to keep at ×4 (issue #8, SSIM at ×4): the upscale stage alone (upscaleTo,
// as the product runs it) on the enhance-tone portraits, for several ESRGAN weights (the rest is
// the back-projected Lanczos upscale). Same people, halves, degradations and scoring as
// bench/enhance-tone.ts (2K output, Lanczos back to 256 px, against the clean portrait, next to
// bicubic); no identity guard or finishing (sharpen, encoding), so it is fast. The weight is
// chosen on the tune half; the report half is printed next to it.
//
//   npx tsc -p . && node dist/bench/sr-mix.js     (or: npm run bench -- sr-mix)
//   env: BENCH_TONE_PER_GROUP (default 4), BENCH_SR_WEIGHTS (default 1,0.8,0.7,0.6,0.5,0.4),
//        BENCH_TONE_DEGRADATIONS (default down4,down2)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeImage } from '../src/enhance/analyze.js';
import { restorePixels } from '../src/enhance/correct.js';
import { parseIntents } from '../src/enhance/intent.js';
import { psnr, ssim } from '../src/enhance/metrics.js';
import { upscaleTo } from '../src/enhance/pipeline.js';
import { planCorrections } from '../src/enhance/plan.js';
import type { RawRgb } from '../src/enhance/raw.js';
import { createIdentityEngine } from '../src/identity/engine.js';
import { CACHE, DEGRADATIONS, TESTDATA, people, portrait, rawOf, sh } from './enhance-tone.js';

type Box = [number, number, number, number];
const toSize = (img: RawRgb, w: number, h: number, kernel: 'lanczos3' | 'cubic' = 'lanczos3') =>
  img.width === w && img.height === h ? Promise.resolve(img) : rawOf(sh(img).resize(w, h, { fit: 'fill', kernel }));
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);

export async function main(): Promise<void> {
  const perGroup = Number(process.env.BENCH_TONE_PER_GROUP ?? 4);
  const weights = (process.env.BENCH_SR_WEIGHTS ?? '1,0.8,0.7,0.6,0.5,0.4').split(',').map(Number);
  const classes = (process.env.BENCH_TONE_DEGRADATIONS ?? 'down4,down2').split(',');
  const size = 256, out = 2048;
  const engine = await createIdentityEngine({ workers: 1 });
  const cache: Record<string, Box | null> = existsSync(CACHE) ? JSON.parse(readFileSync(CACHE, 'utf8')) : {};
  // [half][degradation][weight or 'bicubic'] → per-photo [psnr, ssim]
  const res = new Map<string, Array<[number, number]>>();
  const add = (k: string, v: [number, number]) => (res.get(k) ?? res.set(k, []).get(k)!).push(v);
  try {
    for (const p of people(perGroup, null)) {
      const prep = await portrait(engine, path.join(TESTDATA, `london-faces/london/${p.id}/neutral_front.jpg`), size, cache);
      if (!prep) continue;
      for (const d of classes) {
        const lr = await DEGRADATIONS[d](prep.clean);
        const k = lr.width / size;
        const stats = analyzeImage(lr, [prep.faceBox.map((v) => v * k) as Box]);
        const plan = planCorrections(stats, parseIntents(undefined), 1, 1);
        const restored = restorePixels(lr, plan);
        const bp = plan.denoise && plan.denoise.eps > 50 ? 0 : 1; // as the pipeline's render()
        const bic = await toSize(await toSize(lr, out, out, 'cubic'), size, size);
        add(`${p.half}|${d}|bicubic`, [psnr(prep.clean, bic), ssim(prep.clean, bic)]);
        for (const w of weights) {
          const up = await toSize(await upscaleTo(restored, out, out, { backProjection: bp, srWeightX4: w }), size, size);
          add(`${p.half}|${d}|${w}`, [psnr(prep.clean, up), ssim(prep.clean, up)]);
        }
        console.error(`${p.id} ${p.half} ${d} done`);
      }
    }
  } finally {
    mkdirSync(path.dirname(CACHE), { recursive: true });
    writeFileSync(CACHE, JSON.stringify(cache));
    await engine.close();
  }
  const lines = ['| half | degradation | ESRGAN weight | n | PSNR | SSIM | ΔPSNR vs bicubic mean / worst photo | ΔSSIM vs bicubic mean / worst photo |', '|---|---|---|---|---|---|---|---|'];
  for (const half of ['tune', 'report']) {
    for (const d of classes) {
      const b = res.get(`${half}|${d}|bicubic`) ?? [];
      for (const w of ['bicubic', ...weights.map(String)]) {
        const v = res.get(`${half}|${d}|${w}`) ?? [];
        const dp = v.map((r, i) => r[0] - b[i][0]), ds = v.map((r, i) => r[1] - b[i][1]);
        lines.push(`| ${half} | ${d} | ${w} | ${v.length} | ${mean(v.map((r) => r[0])).toFixed(2)} | ${mean(v.map((r) => r[1])).toFixed(4)} | ` +
          (w === 'bicubic' ? '– | – |' : `${mean(dp).toFixed(2)} / ${Math.min(...dp).toFixed(2)} | ${mean(ds).toFixed(4)} / ${Math.min(...ds).toFixed(4)} |`));
      }
    }
  }
  console.log(lines.join('\n'));
  mkdirSync(path.resolve('.bench-out'), { recursive: true });
  writeFileSync(path.resolve('.bench-out/sr-mix.json'), JSON.stringify({ createdAt: new Date().toISOString(), results: Object.fromEntries(res) }, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
