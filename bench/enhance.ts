// Local /enhance benchmark: clean photos are degraded (downscale ×2/×4, Gaussian and motion
// blur, noise, underexposure, JPEG q15), enhanced to 2K, brought back to the clean size and
// compared with the clean original (PSNR on RGB, SSIM on luma) next to two baselines: "none"
// (the degraded image itself, resampled to the clean size) and "bicubic" (bicubic to the same
// 2K size, then back). Identity: cosine similarity of the largest face's embedding to the clean
// photo's face (identity engine). Time: 512 px and 1024 px inputs to 2K.
//
//   npx tsc -p . && node dist/bench/enhance.js
//   env: LIKENESS_TESTDATA (default ../shared/testdata beside the repo), BENCH_PHOTOS (default 6),
//        BENCH_CLASSES (comma list), BENCH_NO_IDENTITY=1, BENCH_TIMING_RUNS (default 2)
// Enhancement runs in the identity engine's worker pool (task `enhance`), as in the product.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { cropForAspect, snapped2kSize } from '../src/enhance/geometry.js';
import { psnr, ssim } from '../src/enhance/metrics.js';
import { enhanceImage, type EnhancedImage } from '../src/enhance/pipeline.js';
import type { RawRgb } from '../src/enhance/raw.js';
import { createIdentityEngine, type IdentityRuntime } from '../src/identity/engine.js';
import { transferableCopy } from '../src/identity/pool.js';

const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../shared/testdata', import.meta.url).pathname;
const OUT_DIR = path.resolve('.bench-out');

const PHOTOS = [
  'london-faces/london/001/neutral_front.jpg',
  'london-faces/london/002/smiling_front.jpg',
  'london-faces/lisa/lisa_lisa1.jpg',
  'london-faces/lisa/lisa_lisa3.jpg',
  'caltech-faces/images/p06/image_0100.jpg',
  'caltech-faces/images/p13/image_0180.jpg',
];

type Degrade = (img: RawRgb) => Promise<RawRgb>;

const rawOf = async (s: sharp.Sharp): Promise<RawRgb> => {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
};
const sh = (img: RawRgb) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
const encodePng = (img: RawRgb) => sh(img).png({ compressionLevel: 1 }).toBuffer();

function seeded(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

const DEGRADATIONS: Record<string, Degrade> = {
  down2: (img) => rawOf(sh(img).resize(Math.round(img.width / 2), Math.round(img.height / 2))),
  down4: (img) => rawOf(sh(img).resize(Math.round(img.width / 4), Math.round(img.height / 4))),
  gblur2: (img) => rawOf(sh(img).blur(2)),
  motion9: (img) => rawOf(sh(img).convolve({ width: 9, height: 3, kernel: [...Array(9).fill(0), ...Array(9).fill(1), ...Array(9).fill(0)] })),
  noise15: async (img) => {
    const g = seeded(42);
    const data = new Uint8Array(img.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(img.data[i] + 15 * g())));
    return { ...img, data };
  },
  under035: (img) => rawOf(sh(img).linear(0.35, 0)),
  jpeg15: async (img) => rawOf(sharp(await sh(img).jpeg({ quality: 15 }).toBuffer())),
};

/** Any output back to the clean size, same resampling for every method. */
const toSize = (img: RawRgb, w: number, h: number) =>
  img.width === w && img.height === h ? Promise.resolve(img) : rawOf(sh(img).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }));

interface Row {
  photo: string;
  degradation: string;
  psnr: { none: number; bicubic: number; enhanced: number };
  ssim: { none: number; bicubic: number; enhanced: number };
  identity: { bicubic: number | null; enhanced: number | null };
  ms: number;
}

function cosine(a: number[], b: number[]): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

async function largestFace(engine: IdentityRuntime | null, img: Buffer): Promise<number[] | null> {
  if (!engine) return null;
  const a = await engine.analyze(img);
  const f = [...a.faces].sort((x, y) => y.box[2] * y.box[3] - x.box[2] * x.box[3])[0];
  return f ? f.embedding : null;
}

async function runEnhance(engine: IdentityRuntime | null, input: Buffer, format: 'jpg' | 'png'): Promise<EnhancedImage[]> {
  if (!engine) return enhanceImage(input, { variants: 1, format });
  const ab = transferableCopy(input);
  const out = await engine.pool.run<Array<{ data: Uint8Array; width: number; height: number; label: string; exposureFix: boolean; colourFix: boolean }>>(
    'enhance',
    { input: new Uint8Array(ab), variants: 1, format },
    [ab],
  );
  return out.map((o) => ({ ...o, data: Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength) }));
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
const f2 = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(2));
const f3 = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(3));

export async function main(): Promise<void> {
  const nPhotos = Number(process.env.BENCH_PHOTOS ?? PHOTOS.length);
  const classes = process.env.BENCH_CLASSES ? process.env.BENCH_CLASSES.split(',') : Object.keys(DEGRADATIONS);
  let engine: IdentityRuntime | null = null;
  if (!process.env.BENCH_NO_IDENTITY) {
    try {
      engine = await createIdentityEngine({ workers: 1 });
    } catch (err) {
      console.error(`identity engine unavailable, enhancing in-process without identity: ${(err as Error).message}`);
    }
  }
  const rows: Row[] = [];
  try {
    for (const rel of PHOTOS.slice(0, nPhotos)) {
      // The clean reference, cropped to its snapped 2K aspect so no method has to crop.
      const decoded = await rawOf(sharp(readFileSync(path.join(TESTDATA, rel))).rotate());
      const out = snapped2kSize(decoded.width, decoded.height);
      const clean = await rawOf(sh(decoded).extract(cropForAspect(decoded.width, decoded.height, out)));
      const cleanPng = await encodePng(clean);
      const cleanFace = await largestFace(engine, cleanPng);
      for (const name of classes) {
        const degraded = await DEGRADATIONS[name](clean);
        const input = await encodePng(degraded);
        const t0 = performance.now();
        const [enh] = await runEnhance(engine, input, 'png');
        const ms = performance.now() - t0;
        const enhRaw = await rawOf(sharp(enh.data));
        const bicubic2k = await rawOf(sh(degraded).resize(enh.width, enh.height, { fit: 'fill', kernel: 'cubic' }));
        const [none, bic, ours] = await Promise.all([
          toSize(degraded, clean.width, clean.height),
          toSize(bicubic2k, clean.width, clean.height),
          toSize(enhRaw, clean.width, clean.height),
        ]);
        let idBic: number | null = null, idEnh: number | null = null;
        if (cleanFace) {
          const fb = await largestFace(engine, await sh(bicubic2k).jpeg({ quality: 95 }).toBuffer());
          const fe = await largestFace(engine, enh.data);
          idBic = fb ? cosine(cleanFace, fb) : NaN;
          idEnh = fe ? cosine(cleanFace, fe) : NaN;
        }
        const row: Row = {
          photo: rel,
          degradation: name,
          psnr: { none: psnr(clean, none), bicubic: psnr(clean, bic), enhanced: psnr(clean, ours) },
          ssim: { none: ssim(clean, none), bicubic: ssim(clean, bic), enhanced: ssim(clean, ours) },
          identity: { bicubic: idBic, enhanced: idEnh },
          ms,
        };
        rows.push(row);
        console.error(
          `${rel} ${name}: PSNR ${f2(row.psnr.none)}/${f2(row.psnr.bicubic)}/${f2(row.psnr.enhanced)} ` +
            `SSIM ${f3(row.ssim.none)}/${f3(row.ssim.bicubic)}/${f3(row.ssim.enhanced)} id ${f3(idBic)}/${f3(idEnh)} ${ms.toFixed(0)} ms`,
        );
      }
    }

    // Wall time to 2K for 512 px and 1024 px inputs (longest side), one variant, JPEG.
    const timingRuns = Number(process.env.BENCH_TIMING_RUNS ?? 2);
    const zoom = readFileSync(path.join(TESTDATA, 'london-faces/lisa/zoom_30cm.jpg'));
    const timing: Record<string, number[]> = {};
    for (const side of [512, 1024]) {
      const input = await sharp(zoom).rotate().resize(side, side, { fit: 'inside' }).jpeg({ quality: 90 }).toBuffer();
      timing[side] = [];
      for (let i = 0; i < timingRuns; i++) {
        const t0 = performance.now();
        await runEnhance(engine, input, 'jpg');
        timing[side].push(performance.now() - t0);
      }
    }

    // Report.
    const lines: string[] = [];
    lines.push('| degradation | n | PSNR none | PSNR bicubic | PSNR enhanced | SSIM none | SSIM bicubic | SSIM enhanced | id bicubic | id enhanced | ms/image |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
    const summary: Record<string, unknown> = {};
    for (const name of classes) {
      const rs = rows.filter((r) => r.degradation === name);
      const ids = rs.map((r) => r.identity.enhanced).filter((v): v is number => v !== null && !Number.isNaN(v));
      const idsB = rs.map((r) => r.identity.bicubic).filter((v): v is number => v !== null && !Number.isNaN(v));
      const s = {
        n: rs.length,
        psnr: { none: mean(rs.map((r) => r.psnr.none)), bicubic: mean(rs.map((r) => r.psnr.bicubic)), enhanced: mean(rs.map((r) => r.psnr.enhanced)) },
        ssim: { none: mean(rs.map((r) => r.ssim.none)), bicubic: mean(rs.map((r) => r.ssim.bicubic)), enhanced: mean(rs.map((r) => r.ssim.enhanced)) },
        identity: { bicubic: idsB.length ? mean(idsB) : null, enhanced: ids.length ? mean(ids) : null, enhancedMin: ids.length ? Math.min(...ids) : null, facesFound: ids.length },
        ms: mean(rs.map((r) => r.ms)),
      };
      summary[name] = s;
      lines.push(
        `| ${name} | ${s.n} | ${f2(s.psnr.none)} | ${f2(s.psnr.bicubic)} | **${f2(s.psnr.enhanced)}** | ${f3(s.ssim.none)} | ${f3(s.ssim.bicubic)} | **${f3(s.ssim.enhanced)}** | ${f3(s.identity.bicubic)} | ${f3(s.identity.enhanced)} (min ${f3(s.identity.enhancedMin)}) | ${s.ms.toFixed(0)} |`,
      );
    }
    lines.push('');
    lines.push('| input (longest side) → 2K | runs (ms) | median ms |');
    lines.push('|---|---|---|');
    for (const [side, ts] of Object.entries(timing)) {
      const sorted = [...ts].sort((a, b) => a - b);
      lines.push(`| ${side} px | ${ts.map((t) => t.toFixed(0)).join(', ')} | ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} |`);
    }
    console.log(lines.join('\n'));
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(
      path.join(OUT_DIR, 'enhance.json'),
      JSON.stringify({ createdAt: new Date().toISOString(), viaPool: !!engine, summary, timing, rows }, null, 2),
    );
  } finally {
    await engine?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
