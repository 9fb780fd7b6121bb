// Face verification accuracy of the identity engine on the labelled photo sets, comparing
// embedding variants computed from the same detections (flip averaging, roll alignment,
// crop scale). Caches embeddings for other benchmarks and writes a JSON summary.
//
//   npx tsc -p . && node dist/bench/identity-verify.js [--fresh]
//   env: LIKENESS_TESTDATA (default ../shared/testdata beside the repo), BENCH_WORKERS (default 2),
//        BENCH_SETS (default caltech,london), BENCH_VARIANTS (';'-separated variant names)
//
// Cache format, `.bench-out/embeddings-<set>.json`:
//   { set, createdAt, defaultVariant: "<name>", variants: { <name>: EmbedOptions },
//     images: [{ file (relative to LIKENESS_TESTDATA), identity, width, height, faces (count),
//                box: [x,y,w,h] | null (largest face, original pixels),
//                embedding: number[128] | null (largest face, default variant, unit length),
//                embeddings: { <name>: number[128] } (every variant; {} when no face) }] }
// Identities: caltech folder names (p01..p26, singletons as c0388/c0390; drawings excluded),
// london `lNNN` (neutral + smiling) and `lisa` (8 selfies).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkerPool, transferableCopy } from '../src/identity/pool.js';
import { WORKER_URL } from '../src/identity/engine.js';
import { DEFAULT_EMBED_OPTIONS, type EmbedOptions, type VariantFace } from '../src/identity/runtime.js';

export const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../shared/testdata', import.meta.url).pathname;
export const OUT_DIR = path.resolve('.bench-out');
type SetName = 'caltech' | 'london';

export const VARIANTS: Record<string, EmbedOptions> = {
  // face-api's own pipeline on Human's boxes: 68 landmarks → dlib crop, no flip (the starting point)
  '68 dlib crop': { flip: false, align: { rotate: false, scale: 1 }, refPoints: 'landmarks68' },
  '68 flip': { flip: true, align: { rotate: false, scale: 1 }, refPoints: 'landmarks68' },
  '68 roll': { flip: false, align: { rotate: true, scale: 1 }, refPoints: 'landmarks68' },
  '68 flip+roll': { flip: true, align: { rotate: true, scale: 1 }, refPoints: 'landmarks68' },
  '68 flip+roll s1.1': { flip: true, align: { rotate: true, scale: 1.1 }, refPoints: 'landmarks68' },
  // Human's mesh gives the alignment points
  'mesh roll s1.1': { flip: false, align: { rotate: true, scale: 1.1 }, refPoints: 'mesh' },
  'mesh flip+roll s1.0': { flip: true, align: { rotate: true, scale: 1 }, refPoints: 'mesh' },
  'mesh flip+roll s1.1': { flip: true, align: { rotate: true, scale: 1.1 }, refPoints: 'mesh' },
  'mesh flip+roll s1.0+1.2': { flip: true, align: { rotate: true, scale: 1 }, extraScales: [1.2], refPoints: 'mesh' },
};
// BENCH_VARIANTS="name1;name2" restricts a run to some variants (quicker experiments).
if (process.env.BENCH_VARIANTS) {
  const keep = new Set(process.env.BENCH_VARIANTS.split(';'));
  for (const k of keep) if (!VARIANTS[k]) throw new Error(`unknown variant "${k}"`);
  for (const k of Object.keys(VARIANTS)) if (!keep.has(k)) delete VARIANTS[k];
}
const DEFAULT_VARIANT =
  Object.keys(VARIANTS).find((k) => JSON.stringify(VARIANTS[k]) === JSON.stringify(DEFAULT_EMBED_OPTIONS)) ?? null;

export interface CachedImage {
  file: string;
  identity: string;
  width: number;
  height: number;
  faces: number;
  box: [number, number, number, number] | null;
  embedding: number[] | null;
  embeddings: Record<string, number[]>;
}

export function listSet(set: SetName): { file: string; identity: string }[] {
  if (set === 'caltech') {
    const rows = readFileSync(path.join(TESTDATA, 'caltech-faces/labels.csv'), 'utf8').trim().split('\n').slice(1);
    const out = [];
    for (const r of rows) {
      const [file, id] = r.split(',');
      const n = file.match(/image_(\d+)/)![1];
      if (['0389', '0391', '0392'].includes(n)) continue; // drawings: not a person
      out.push({ file: path.join('caltech-faces', file), identity: id.startsWith('_misc') ? `c${n}` : id });
    }
    return out;
  }
  const out = [];
  const base = path.join(TESTDATA, 'london-faces/london');
  for (const id of readdirSync(base).sort())
    for (const f of readdirSync(path.join(base, id)).sort()) out.push({ file: path.join('london-faces/london', id, f), identity: `l${id}` });
  for (const f of readdirSync(path.join(TESTDATA, 'london-faces/lisa')).sort())
    out.push({ file: path.join('london-faces/lisa', f), identity: 'lisa' });
  return out;
}

async function embedSet(pool: WorkerPool, set: SetName): Promise<CachedImage[]> {
  const photos = listSet(set);
  const names = Object.keys(VARIANTS);
  let done = 0;
  return Promise.all(
    photos.map(async (p) => {
      const ab = transferableCopy(readFileSync(path.join(TESTDATA, p.file)));
      const r = await pool.run<{ width: number; height: number; faces: VariantFace[] }>(
        'identity.analyzeVariants',
        { image: new Uint8Array(ab), variants: names.map((n) => VARIANTS[n]) },
        [ab],
      );
      // Some photos have posters of faces in the background: key on the largest face.
      const main = r.faces.slice().sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
      if (++done % 50 === 0) process.stderr.write(`  ${set}: ${done}/${photos.length}\n`);
      return {
        ...p,
        width: r.width,
        height: r.height,
        faces: r.faces.length,
        box: main?.box ?? null,
        embedding: main ? main.variants[DEFAULT_VARIANT ? names.indexOf(DEFAULT_VARIANT) : 0] : null,
        embeddings: main ? Object.fromEntries(names.map((n, i) => [n, main.variants[i]])) : {},
      };
    }),
  );
}

// ---- verification metrics (pure) ----

export interface VerifyMetrics {
  genuinePairs: number;
  impostorPairs: number;
  auc: number;
  eer: number;
  eerThreshold: number;
  tarAtFar1e2: number;
  thresholdFar1e2: number;
  tarAtFar1e3: number;
  thresholdFar1e3: number;
}

const dot = (a: number[], b: number[]) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** All-pairs cosine scores split into genuine (same identity) and impostor pairs. */
export function pairScores(items: { identity: string; embedding: number[] }[]): { genuine: number[]; impostor: number[] } {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++)
      (items[i].identity === items[j].identity ? genuine : impostor).push(dot(items[i].embedding, items[j].embedding));
  return { genuine, impostor };
}

/**
 * Threshold t (accept when score > t) at which at most `far` of impostor pairs are accepted:
 * the impostor score of rank floor(far·n) from the top.
 */
export function thresholdAtFar(impostor: number[], far: number): number {
  const sorted = impostor.slice().sort((a, b) => b - a);
  return sorted[Math.min(sorted.length - 1, Math.floor(far * sorted.length))];
}

export function verifyMetrics(genuine: number[], impostor: number[]): VerifyMetrics {
  const tarAbove = (t: number) => genuine.filter((g) => g > t).length / genuine.length;
  // AUC = P(genuine > impostor), ties count half (Mann–Whitney U with ranks).
  const all = [...genuine.map((v) => ({ v, g: 1 })), ...impostor.map((v) => ({ v, g: 0 }))].sort((a, b) => a.v - b.v);
  let rankSumG = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].v === all[i].v) j++;
    const rank = (i + j + 1) / 2; // 1-based mean rank of the tie group
    for (let k = i; k < j; k++) if (all[k].g) rankSumG += rank;
    i = j;
  }
  const nG = genuine.length;
  const nI = impostor.length;
  const auc = (rankSumG - (nG * (nG + 1)) / 2) / (nG * nI);
  // EER: sweep thresholds over observed scores, take the point where FAR and FRR cross.
  const g = genuine.slice().sort((a, b) => a - b);
  const im = impostor.slice().sort((a, b) => a - b);
  let best = { gap: Infinity, eer: 1, t: 0 };
  let gi = 0;
  let ii = 0;
  for (const { v: t } of all) {
    while (gi < g.length && g[gi] <= t) gi++;
    while (ii < im.length && im[ii] <= t) ii++;
    const frr = gi / nG;
    const far = (nI - ii) / nI;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { gap, eer: (far + frr) / 2, t };
  }
  const t2 = thresholdAtFar(impostor, 1e-2);
  const t3 = thresholdAtFar(impostor, 1e-3);
  return {
    genuinePairs: nG,
    impostorPairs: nI,
    auc,
    eer: best.eer,
    eerThreshold: best.t,
    tarAtFar1e2: tarAbove(t2),
    thresholdFar1e2: t2,
    tarAtFar1e3: tarAbove(t3),
    thresholdFar1e3: t3,
  };
}

// ---- driver ----

async function timeDefault(pool: WorkerPool, set: SetName, n: number): Promise<number> {
  // Sequential, one at a time: latency of one analyze() (decode + detect + embed + metrics).
  const photos = listSet(set).slice(0, n);
  const t0 = performance.now();
  for (const p of photos) {
    const ab = transferableCopy(readFileSync(path.join(TESTDATA, p.file)));
    await pool.run('identity.analyze', { image: new Uint8Array(ab) }, [ab]);
  }
  return (performance.now() - t0) / photos.length;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

export async function main(argv = process.argv.slice(2)): Promise<unknown> {
  mkdirSync(OUT_DIR, { recursive: true });
  const fresh = argv.includes('--fresh');
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const pool = new WorkerPool(WORKER_URL, { size: workers, name: 'bench' });
  const summary: Record<string, unknown> = { createdAt: new Date().toISOString(), workers, defaultVariant: DEFAULT_VARIANT, sets: {} };
  const rows: string[] = [];
  try {
    const sets = (process.env.BENCH_SETS ?? 'caltech,london').split(',') as SetName[];
    for (const set of sets) {
      const cacheFile = path.join(OUT_DIR, `embeddings-${set}.json`);
      let images: CachedImage[];
      let embedSeconds: number | null = null;
      const cached = existsSync(cacheFile) && !fresh ? JSON.parse(readFileSync(cacheFile, 'utf8')) : null;
      if (cached && JSON.stringify(cached.variants) === JSON.stringify(VARIANTS) && cached.images.length === listSet(set).length) {
        images = cached.images;
      } else {
        const t0 = performance.now();
        images = await embedSet(pool, set);
        embedSeconds = (performance.now() - t0) / 1000;
        writeFileSync(
          cacheFile,
          JSON.stringify({ set, createdAt: new Date().toISOString(), defaultVariant: DEFAULT_VARIANT, variants: VARIANTS, images }),
        );
      }
      const msPerImage = await timeDefault(pool, set, 40);
      const failures = images.filter((i) => !i.embedding).map((i) => i.file);
      const perVariant: Record<string, VerifyMetrics> = {};
      for (const name of Object.keys(VARIANTS)) {
        const items = images.filter((i) => i.embeddings[name]).map((i) => ({ identity: i.identity, embedding: i.embeddings[name] }));
        const { genuine, impostor } = pairScores(items);
        const m = verifyMetrics(genuine, impostor);
        perVariant[name] = m;
        rows.push(
          `| ${set} | ${name}${name === DEFAULT_VARIANT ? ' (default)' : ''} | ${m.auc.toFixed(5)} | ${pct(m.eer)} | ` +
            `${pct(m.tarAtFar1e2)} @ ${m.thresholdFar1e2.toFixed(3)} | ${pct(m.tarAtFar1e3)} @ ${m.thresholdFar1e3.toFixed(3)} | ` +
            `${m.genuinePairs}/${m.impostorPairs} |`,
        );
      }
      (summary.sets as Record<string, unknown>)[set] = {
        images: images.length,
        detectionFailures: failures.length,
        failedFiles: failures,
        multiFaceImages: images.filter((i) => i.faces > 1).length,
        msPerImage: Math.round(msPerImage),
        msPerImageMeasuredOn: 40,
        embedAllSeconds: embedSeconds,
        variants: perVariant,
      };
      rows.push(`|  | detection failures ${failures.length}/${images.length}; ${Math.round(msPerImage)} ms/image (default, 1 at a time) | | | | | |`);
    }
  } finally {
    await pool.close();
  }
  const table = [
    '| set | embedding | ROC AUC | EER | TAR @ FAR 1e-2 (cos thr) | TAR @ FAR 1e-3 (cos thr) | genuine/impostor pairs |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(table);
  writeFileSync(path.join(OUT_DIR, 'identity-verify.json'), JSON.stringify({ ...summary, table }, null, 2));
  return summary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
