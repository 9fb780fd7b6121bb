// Enhance by skin tone (issue #8): face-filling portraits from london-faces, grouped by the
// person's listed ethnicity (london_info.csv) and by the ITA° measured on their clean face,
// split by person into tune and report halves. Each clean portrait (256 px) is degraded (×2 and
// ×4 downscale, JPEG q15, Gaussian blur σ 2) and enhanced through the product path
// (runLocalEnhance: worker pool + identity and skin-tone guard, no prompt), then scored against
// the clean photo: PSNR/SSIM next to bicubic, and on the face region ΔE2000, ΔITA° and mean-luma
// change. The guard's first look at each rendering is reported too (how many it caught).
// Exposure: the same portraits ×0.35 (underexposure class) and naturally backlit caltech photos
// must still be brightened.
//
//   npx tsc -p . && node dist/bench/enhance-tone.js     (or: npm run bench -- enhance-tone)
//   env: LIKENESS_TESTDATA, BENCH_TONE_PER_GROUP (people per ethnicity, default 6; fewer exist
//        for some), BENCH_TONE_SIZE (clean side, default 256), BENCH_TONE_DEGRADATIONS (comma list),
//        BENCH_TONE_GROUPS (comma list of london_info ethnicities; default all)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { deltaE2000, faceColour, type RegionColour } from '../src/enhance/colour.js';
import { psnr, ssim } from '../src/enhance/metrics.js';
import type { RawRgb } from '../src/enhance/raw.js';
import { SKIN_LIMITS } from '../src/enhance/skin.js';
import { createIdentityEngine, type IdentityRuntime } from '../src/identity/engine.js';
import { runLocalEnhance, type GuardStep } from '../src/studio/enhance.js';

export const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../shared/testdata', import.meta.url).pathname;
const OUT_DIR = path.resolve('.bench-out');
/** Face boxes of the clean portraits, shared with bench/sr-mix.ts. */
export const CACHE = path.resolve('.cache/enhance-tone-faces.json');
type Box = [number, number, number, number];

export const rawOf = async (s: sharp.Sharp): Promise<RawRgb> => {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
};
export const sh = (img: RawRgb) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
const png = (img: RawRgb) => sh(img).png({ compressionLevel: 1 }).toBuffer();
const toSize = (img: RawRgb, w: number, h: number) =>
  img.width === w && img.height === h ? Promise.resolve(img) : rawOf(sh(img).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }));

export const DEGRADATIONS: Record<string, (img: RawRgb) => Promise<RawRgb>> = {
  down2: (img) => rawOf(sh(img).resize(Math.round(img.width / 2), Math.round(img.height / 2))),
  down4: (img) => rawOf(sh(img).resize(Math.round(img.width / 4), Math.round(img.height / 4))),
  jpeg15: async (img) => rawOf(sharp(await sh(img).jpeg({ quality: 15 }).toBuffer())),
  gblur2: (img) => rawOf(sh(img).blur(2)),
};

/** Coarse ITA° groups (Chardon et al. 1991 bands merged in pairs). */
function itaGroup(v: number): string {
  return v > 41 ? 'ITA>41 (light)' : v > 10 ? 'ITA 10..41 (intermediate/tan)' : v > -30 ? 'ITA -30..10 (brown)' : 'ITA<-30 (dark)';
}

export interface Person {
  id: string;
  eth: string;
  half: 'tune' | 'report';
}

export function people(perGroup: number, only: string[] | null): Person[] {
  const rows = readFileSync(path.join(TESTDATA, 'london-faces/london_info.csv'), 'utf8').trim().split('\n').slice(1);
  const byEth = new Map<string, string[]>();
  for (const r of rows) {
    const [id, , , eth] = r.split(',');
    if (!byEth.has(eth)) byEth.set(eth, []);
    byEth.get(eth)!.push(id);
  }
  const out: Person[] = [];
  for (const [eth, ids] of [...byEth].sort()) {
    if (eth.includes('/')) continue; // one mixed label: too few to be a group
    if (only && !only.includes(eth)) continue;
    // Spread the pick over the list (ids are in recruitment order), alternate the halves.
    const step = Math.max(1, ids.length / perGroup);
    for (let i = 0; i < Math.min(perGroup, ids.length); i++) out.push({ id: ids[Math.floor(i * step)], eth, half: i % 2 === 0 ? 'tune' : 'report' });
  }
  return out;
}

async function largestBox(engine: IdentityRuntime, bytes: Buffer): Promise<Box | null> {
  const a = await engine.analyze(bytes);
  const f = [...a.faces].sort((x, y) => y.box[2] * y.box[3] - x.box[2] * x.box[3])[0];
  return f ? (f.box.map((v) => v) as Box) : null;
}

/** A face-filling square portrait around the detected face (side 1.1× the box, as tight as the issue's portraits), at `size` px. */
export async function portrait(engine: IdentityRuntime, file: string, size: number, cache: Record<string, Box | null>) {
  const bytes = readFileSync(file);
  if (!(file in cache)) cache[file] = await largestBox(engine, bytes);
  const box = cache[file];
  if (!box) return null;
  const meta = await sharp(bytes).metadata();
  const side = Math.min(Math.round(Math.max(box[2], box[3]) * 1.1), meta.width!, meta.height!);
  const left = Math.round(Math.min(Math.max(0, box[0] + box[2] / 2 - side / 2), meta.width! - side));
  const top = Math.round(Math.min(Math.max(0, box[1] + box[3] / 2 - side / 2), meta.height! - side));
  const clean = await rawOf(sharp(bytes).extract({ left, top, width: side, height: side }).resize(size, size, { kernel: 'lanczos3' }));
  const s = size / side;
  const faceBox: Box = [(box[0] - left) * s, (box[1] - top) * s, box[2] * s, box[3] * s];
  return { clean, faceBox };
}

interface Row {
  person: string;
  eth: string;
  itaGroup: string;
  half: string;
  degradation: string;
  psnr: { bicubic: number; enhanced: number };
  ssim: { bicubic: number; enhanced: number };
  face: { deltaE: number; deltaIta: number; deltaLuma: number; cleanIta: number } | null;
  label: string;
  guard: GuardStep[];
  ms: number;
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
const maxAbs = (v: number[]) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

function faceDiff(clean: RegionColour | null, out: RegionColour | null) {
  if (!clean || !out) return null;
  return { deltaE: deltaE2000(clean.lab, out.lab), deltaIta: out.ita - clean.ita, deltaLuma: out.luma - clean.luma, cleanIta: clean.ita };
}

export async function main(): Promise<void> {
  const perGroup = Number(process.env.BENCH_TONE_PER_GROUP ?? 6);
  const size = Number(process.env.BENCH_TONE_SIZE ?? 256);
  const classes = process.env.BENCH_TONE_DEGRADATIONS ? process.env.BENCH_TONE_DEGRADATIONS.split(',') : Object.keys(DEGRADATIONS);
  const engine = await createIdentityEngine({ workers: 1 });
  const cache: Record<string, Box | null> = existsSync(CACHE) ? JSON.parse(readFileSync(CACHE, 'utf8')) : {};
  const enhance = async (input: Buffer) => {
    const t0 = performance.now();
    const [out] = await runLocalEnhance({
      pool: engine.pool,
      identity: async () => engine,
      input,
      variants: 1,
      format: 'png',
      signal: new AbortController().signal,
    });
    return { ...out, ms: performance.now() - t0 };
  };
  const rows: Row[] = [];
  const exposure: Array<{ case: string; faceLBefore: number; faceLAfter: number; faceLClean: number | null; psnrBicubic: number | null; psnrEnhanced: number | null; label: string }> = [];
  try {
    const only = process.env.BENCH_TONE_GROUPS ? process.env.BENCH_TONE_GROUPS.split(',') : null;
    for (const p of people(perGroup, only)) {
      const file = path.join(TESTDATA, `london-faces/london/${p.id}/neutral_front.jpg`);
      const prep = await portrait(engine, file, size, cache);
      if (!prep) {
        console.error(`${p.id}: no face found, skipped`);
        continue;
      }
      const { clean, faceBox } = prep;
      const cleanFace = faceColour(clean, faceBox);
      const group = cleanFace ? itaGroup(cleanFace.ita) : 'unmeasured';
      const scaleBox = (k: number) => faceBox.map((v) => v * k) as Box;
      for (const name of classes) {
        const degraded = await DEGRADATIONS[name](clean);
        const out = await enhance(await png(degraded));
        const enh = await rawOf(sharp(out.data));
        const bic2k = await rawOf(sh(degraded).resize(enh.width, enh.height, { fit: 'fill', kernel: 'cubic' }));
        const [bic, ours] = await Promise.all([toSize(bic2k, size, size), toSize(enh, size, size)]);
        // Face colour on the returned bytes at their own resolution (2K = clean × 8).
        const face = faceDiff(cleanFace, faceColour(enh, scaleBox(enh.width / size)));
        const row: Row = {
          person: p.id, eth: p.eth, itaGroup: group, half: p.half, degradation: name,
          psnr: { bicubic: psnr(clean, bic), enhanced: psnr(clean, ours) },
          ssim: { bicubic: ssim(clean, bic), enhanced: ssim(clean, ours) },
          face, label: out.label, guard: out.guard, ms: out.ms,
        };
        rows.push(row);
        const g0 = out.guard[0]?.skin;
        console.error(
          `${p.id} ${p.eth} ${group} ${name}: PSNR ${f2(row.psnr.bicubic)}/${f2(row.psnr.enhanced)} SSIM ${row.ssim.bicubic.toFixed(3)}/${row.ssim.enhanced.toFixed(3)} ` +
            `face ΔE ${f2(face?.deltaE ?? NaN)} ΔITA ${f1(face?.deltaIta ?? NaN)} Δluma ${f1(face?.deltaLuma ?? NaN)} → ${out.label}` +
            `${g0 && !g0.ok ? ` (guard: ${g0.reason})` : ''} ${out.ms.toFixed(0)} ms`,
        );
      }
      // Underexposure class on the same portrait: must come back brighter, toward the clean face.
      if (p.half === 'report' || perGroup <= 2) {
        const dark = await rawOf(sh(clean).linear(0.35, 0));
        const out = await enhance(await png(dark));
        const enh = await rawOf(sharp(out.data));
        const ours = await toSize(enh, size, size);
        const bic = await toSize(await rawOf(sh(dark).resize(enh.width, enh.height, { fit: 'fill', kernel: 'cubic' })), size, size);
        const before = faceColour(dark, faceBox), after = faceColour(enh, scaleBox(enh.width / size));
        exposure.push({
          case: `london ${p.id} ×0.35`, faceLBefore: before?.lab.L ?? NaN, faceLAfter: after?.lab.L ?? NaN, faceLClean: cleanFace?.lab.L ?? null,
          psnrBicubic: psnr(clean, bic), psnrEnhanced: psnr(clean, ours), label: out.label,
        });
        console.error(`${p.id} under035: face L ${f1(before?.lab.L ?? NaN)} → ${f1(after?.lab.L ?? NaN)} (clean ${f1(cleanFace?.lab.L ?? NaN)}) → ${out.label}`);
      }
    }
    // Naturally backlit / dark photos (caltech-faces MANIFEST), whole frame.
    for (const rel of ['p01/image_0015.jpg', 'p08/image_0135.jpg', 'p19/image_0297.jpg', 'p20/image_0323.jpg']) {
      const file = path.join(TESTDATA, 'caltech-faces/images', rel);
      const bytes = readFileSync(file);
      if (!(file in cache)) cache[file] = await largestBox(engine, bytes);
      const box = cache[file];
      if (!box) continue;
      const img = await rawOf(sharp(bytes).rotate());
      const out = await enhance(bytes);
      const enh = await rawOf(sharp(out.data));
      const outBox = await largestBox(engine, out.data);
      const before = faceColour(img, box), after = outBox ? faceColour(enh, outBox) : null;
      exposure.push({ case: `caltech ${rel} (backlit)`, faceLBefore: before?.lab.L ?? NaN, faceLAfter: after?.lab.L ?? NaN, faceLClean: null, psnrBicubic: null, psnrEnhanced: null, label: out.label });
      console.error(`${rel}: face L ${f1(before?.lab.L ?? NaN)} → ${f1(after?.lab.L ?? NaN)} → ${out.label}`);
    }
  } finally {
    mkdirSync(path.dirname(CACHE), { recursive: true });
    writeFileSync(CACHE, JSON.stringify(cache));
    await engine.close();
  }

  // Report: one table per grouping and half; targets checked per row.
  const lines: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const [by, key] of [['ethnicity (london_info.csv)', 'eth'], ['measured ITA° of the clean face', 'itaGroup']] as const) {
    for (const half of ['tune', 'report']) {
      lines.push('', `**${half} half, by ${by}**`, '');
      lines.push('| group | degradation | n | PSNR bicubic | PSNR enhanced | SSIM bicubic | SSIM enhanced | face ΔE2000 mean / max | ΔITA° mean / max abs | Δluma mean / max abs | guard caught (first look) | final rungs |');
      lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
      const groups = [...new Set(rows.filter((r) => r.half === half).map((r) => r[key]))].sort();
      for (const g of groups) {
        for (const d of classes) {
          const rs = rows.filter((r) => r.half === half && r[key] === g && r.degradation === d);
          if (!rs.length) continue;
          const fs = rs.map((r) => r.face).filter((f): f is NonNullable<Row['face']> => f !== null);
          const caught = rs.filter((r) => r.guard[0]?.skin && !r.guard[0].skin.ok).length;
          const rungs = [...new Set(rs.map((r) => r.label))].join(', ');
          const s = {
            n: rs.length,
            psnr: { bicubic: mean(rs.map((r) => r.psnr.bicubic)), enhanced: mean(rs.map((r) => r.psnr.enhanced)) },
            ssim: { bicubic: mean(rs.map((r) => r.ssim.bicubic)), enhanced: mean(rs.map((r) => r.ssim.enhanced)) },
            deltaE: { mean: mean(fs.map((f) => f.deltaE)), max: maxAbs(fs.map((f) => f.deltaE)) },
            deltaIta: { mean: mean(fs.map((f) => f.deltaIta)), maxAbs: maxAbs(fs.map((f) => f.deltaIta)) },
            deltaLuma: { mean: mean(fs.map((f) => f.deltaLuma)), maxAbs: maxAbs(fs.map((f) => f.deltaLuma)) },
            caught,
            rungs,
          };
          summary[`${half}/${key}/${g}/${d}`] = s;
          lines.push(
            `| ${g} | ${d} | ${s.n} | ${f2(s.psnr.bicubic)} | **${f2(s.psnr.enhanced)}** | ${s.ssim.bicubic.toFixed(3)} | **${s.ssim.enhanced.toFixed(3)}** | ${f2(s.deltaE.mean)} / ${f2(s.deltaE.max)} | ${f1(s.deltaIta.mean)} / ${f1(s.deltaIta.maxAbs)} | ${f1(s.deltaLuma.mean)} / ${f1(s.deltaLuma.maxAbs)} | ${caught} | ${rungs} |`,
          );
        }
      }
    }
  }
  // Targets, over every row.
  const beyond = rows.filter((r) => r.face && (r.face.deltaE > SKIN_LIMITS.deltaE || Math.abs(r.face.deltaIta) > SKIN_LIMITS.ita));
  const worseCells = Object.entries(summary).filter(([, v]) => {
    const s = v as { psnr: { bicubic: number; enhanced: number }; ssim: { bicubic: number; enhanced: number } };
    return s.psnr.enhanced <= s.psnr.bicubic || s.ssim.enhanced <= s.ssim.bicubic;
  });
  lines.push('', `Returned outputs beyond ΔE2000 ${SKIN_LIMITS.deltaE} or |ΔITA°| ${SKIN_LIMITS.ita} against the clean face: ${beyond.length} of ${rows.length}` +
    (beyond.length ? ` (${beyond.map((r) => `${r.person} ${r.degradation} ΔE ${f2(r.face!.deltaE)} ΔITA ${f1(r.face!.deltaIta)}`).join('; ')})` : ''));
  lines.push(`Group × degradation cells not better than bicubic on PSNR and SSIM: ${worseCells.length} of ${Object.keys(summary).length}` +
    (worseCells.length ? ` (${worseCells.map(([k]) => k).join('; ')})` : ''));
  lines.push('', '| exposure case | face L* before | face L* after | clean face L* | PSNR bicubic | PSNR enhanced | rung |', '|---|---|---|---|---|---|---|');
  for (const e of exposure) {
    lines.push(`| ${e.case} | ${f1(e.faceLBefore)} | **${f1(e.faceLAfter)}** | ${e.faceLClean === null ? '–' : f1(e.faceLClean)} | ${e.psnrBicubic === null ? '–' : f2(e.psnrBicubic)} | ${e.psnrEnhanced === null ? '–' : f2(e.psnrEnhanced)} | ${e.label} |`);
  }
  lines.push('', `ms per enhance (guard included): mean ${mean(rows.map((r) => r.ms)).toFixed(0)}`);
  console.log(lines.join('\n'));
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'enhance-tone.json'), JSON.stringify({ createdAt: new Date().toISOString(), summary, exposure, rows }, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
