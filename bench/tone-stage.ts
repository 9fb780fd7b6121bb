// The tone stage alone (no super-resolution), before vs after issue #8: what the restoration's
// levels/gamma/white-balance plan does to the face of each enhance-tone portrait. Cheap (no
// ESRGAN), so it can be run against an older build of the planner to show the change:
//
//   npx tsc -p . && node dist/bench/tone-stage.js   (or npm run bench -- tone-stage; this build)
//   TONE_MODULES=/abs/dir/with/compiled/{plan,tone,analyze,intent}.js node dist/bench/tone-stage.js
//
// Same portraits as bench/enhance-tone.ts (BENCH_TONE_PER_GROUP, default 4), faces detected once.
// Older planners take faces only if they accept them; they are passed either way.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { deltaE2000, faceColour } from '../src/enhance/colour.js';
import type { RawRgb } from '../src/enhance/raw.js';
import { createIdentityEngine } from '../src/identity/engine.js';

const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../shared/testdata', import.meta.url).pathname;
type Box = [number, number, number, number];

const rawOf = async (s: sharp.Sharp): Promise<RawRgb> => {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
};
const sh = (img: RawRgb) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
const lumaMean = (img: RawRgb) => {
  let s = 0;
  for (let j = 0; j < img.data.length; j += 3) s += 0.299 * img.data[j] + 0.587 * img.data[j + 1] + 0.114 * img.data[j + 2];
  return s / (img.width * img.height);
};

export async function main(): Promise<void> {
  const dir = process.env.TONE_MODULES ?? new URL('../src/enhance', import.meta.url).pathname;
  const mod = async (name: string) => import(pathToFileURL(path.join(dir, `${name}.js`)).href);
  const { analyzeImage } = await mod('analyze');
  const { planCorrections } = await mod('plan');
  const { applyTone } = await mod('tone');
  const { parseIntents } = await mod('intent');
  const perGroup = Number(process.env.BENCH_TONE_PER_GROUP ?? 4);
  const rows = readFileSync(path.join(TESTDATA, 'london-faces/london_info.csv'), 'utf8').trim().split('\n').slice(1);
  const byEth = new Map<string, string[]>();
  for (const r of rows) {
    const [id, , , eth] = r.split(',');
    if (eth.includes('/')) continue;
    if (!byEth.has(eth)) byEth.set(eth, []);
    byEth.get(eth)!.push(id);
  }
  const engine = await createIdentityEngine({ workers: 1 });
  const lines = ['| ethnicity | degradation | n | image mean luma before → after tone | face Δluma mean / max | face ΔE2000 mean / max |', '|---|---|---|---|---|---|'];
  const degr: Record<string, (i: RawRgb) => Promise<RawRgb>> = {
    clean: async (i) => i,
    down2: (i) => rawOf(sh(i).resize(128, 128)),
    jpeg15: async (i) => rawOf(sharp(await sh(i).jpeg({ quality: 15 }).toBuffer())),
    gblur2: (i) => rawOf(sh(i).blur(2)),
  };
  try {
    for (const [eth, ids] of [...byEth].sort()) {
      const step = Math.max(1, ids.length / perGroup);
      const pick = Array.from({ length: Math.min(perGroup, ids.length) }, (_, i) => ids[Math.floor(i * step)]);
      const acc: Record<string, { lb: number[]; la: number[]; dl: number[]; de: number[] }> = {};
      for (const id of pick) {
        const bytes = readFileSync(path.join(TESTDATA, `london-faces/london/${id}/neutral_front.jpg`));
        const face = (await engine.analyze(bytes)).faces.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
        if (!face) continue;
        const box = face.box as Box;
        const meta = await sharp(bytes).metadata();
        const side = Math.min(Math.round(Math.max(box[2], box[3]) * 1.1), meta.width!, meta.height!);
        const left = Math.round(Math.min(Math.max(0, box[0] + box[2] / 2 - side / 2), meta.width! - side));
        const top = Math.round(Math.min(Math.max(0, box[1] + box[3] / 2 - side / 2), meta.height! - side));
        const clean = await rawOf(sharp(bytes).extract({ left, top, width: side, height: side }).resize(256, 256, { kernel: 'lanczos3' }));
        for (const [name, fn] of Object.entries(degr)) {
          const img = await fn(clean);
          const s = img.width / side;
          const fb: Box = [(box[0] - left) * s, (box[1] - top) * s, box[2] * s, box[3] * s];
          const plan = planCorrections(analyzeImage(img, [fb]), parseIntents(''), 1);
          const toned: RawRgb = applyTone(img, plan.tone);
          const b = faceColour(img, fb), a = faceColour(toned, fb);
          if (!b || !a) continue;
          const e = (acc[name] ??= { lb: [], la: [], dl: [], de: [] });
          e.lb.push(lumaMean(img));
          e.la.push(lumaMean(toned));
          e.dl.push(a.luma - b.luma);
          e.de.push(deltaE2000(b.lab, a.lab));
        }
      }
      const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / Math.max(1, v.length);
      const max = (v: number[]) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (const [name, e] of Object.entries(acc)) {
        lines.push(`| ${eth} | ${name} | ${e.de.length} | ${mean(e.lb).toFixed(0)} → ${mean(e.la).toFixed(0)} | ${mean(e.dl).toFixed(1)} / ${max(e.dl).toFixed(1)} | ${mean(e.de).toFixed(2)} / ${max(e.de).toFixed(2)} |`);
      }
    }
  } finally {
    await engine.close();
  }
  console.log(lines.join('\n'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
