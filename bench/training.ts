// Wall time from POST /profiles/add to READY for 10 and 50 photos of about 1024 px, served
// on 127.0.0.1 to a real server on this machine, and /recognize time per 1K image.
// Photos: caltech-faces p15 (25 photos) upscaled to 1024 px wide; the 50-photo set adds their
// mirror images (a real person has no 50 photos in the shared sets).
// Run: npm run bench -- training   (or node dist/bench/training.js)
import { mkdtemp, rm, readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { newKey } from '../src/store/ids.js';

const TESTDATA = process.env.LIKENESS_TESTDATA ?? new URL('../../../shared/testdata/', import.meta.url).pathname;

async function photoSet(): Promise<Map<string, Buffer>> {
  const labels = await readFile(join(TESTDATA, 'caltech-faces/labels.csv'), 'utf8');
  const files = labels
    .split('\n')
    .slice(1)
    .filter((l) => l.split(',')[1] === 'p15')
    .map((l) => l.split(',')[0]);
  const out = new Map<string, Buffer>();
  for (const [i, f] of files.entries()) {
    const src = await readFile(join(TESTDATA, 'caltech-faces', f));
    out.set(`p15_${i}.jpg`, await sharp(src).resize({ width: 1024 }).jpeg({ quality: 92 }).toBuffer());
    out.set(`p15_${i}_flip.jpg`, await sharp(src).flop().resize({ width: 1024 }).jpeg({ quality: 92 }).toBuffer());
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function main(): Promise<Record<string, unknown>> {
  const photos = await photoSet();
  const srv = http.createServer((req, res) => {
    const data = photos.get((req.url ?? '').slice(1));
    if (!data) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(data);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  const dataDir = await mkdtemp(join(tmpdir(), 'likeness-bench-'));
  const server = await startServer(
    loadConfig({ PORT: '0', HOST: '127.0.0.1', LIKENESS_DATA_DIR: dataDir, LIKENESS_LOG_LEVEL: 'silent', LIKENESS_ALLOW_PRIVATE_URLS: '1' }),
    { log: () => {} },
  );
  const account = await server.ctx.store.accounts.create('bench');
  const key = newKey();
  await server.ctx.store.keys.create(account.id, key, 'bench');
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(server.url + '/v1/phota' + path, {
      method,
      headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (await r.json()) as any;
  };
  const train = async (names: string[], tier: string) => {
    const t0 = performance.now();
    const { profile_id } = await call('POST', '/profiles/add', { image_urls: names.map((n) => base + n), training_tier: tier });
    for (;;) {
      const st = await call('GET', `/profiles/${profile_id}/status`);
      if (st.status === 'READY' || st.status === 'ERROR') {
        return { ms: performance.now() - t0, status: st.status, accepted: st.images?.filter((i: any) => i.accepted).length, id: profile_id };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const originals = [...photos.keys()].filter((n) => !n.includes('flip'));
  try {
    const cold = await train(originals.slice(0, 10), 'standard'); // includes loading the models
    const ten: number[] = [];
    for (let i = 0; i < 3; i++) ten.push((await train(originals.slice(i * 5, i * 5 + 10), 'standard')).ms);
    const fifty = await train([...photos.keys()].slice(0, 50), 'standard');
    const recog: number[] = [];
    const img = photos.get('p15_20.jpg')!.toString('base64');
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const r = await call('POST', '/recognize', { image: img, profile_ids: [cold.id] });
      recog.push(performance.now() - t0);
      if (r.faces?.[0]?.profile_id !== cold.id) throw new Error('recognition failed: ' + JSON.stringify(r));
    }
    const result = {
      cores: (await import('node:os')).availableParallelism(),
      cold_10_photos_ms: Math.round(cold.ms),
      warm_10_photos_ms_median_of_3: Math.round(median(ten)),
      warm_10_photos_ms_all: ten.map(Math.round),
      photos_50_ms: Math.round(fifty.ms),
      photos_50_status: fifty.status,
      photos_50_accepted: fifty.accepted,
      recognize_1k_ms_median_of_15: Math.round(median(recog)),
    };
    console.log('\n| measure | value |\n|---|---|');
    for (const [k, v] of Object.entries(result)) console.log(`| ${k} | ${Array.isArray(v) ? v.join(', ') : v} |`);
    await mkdir('.bench-out', { recursive: true });
    await writeFile('.bench-out/training.json', JSON.stringify(result, null, 2));
    return result;
  } finally {
    await server.close();
    await new Promise((r) => srv.close(r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
