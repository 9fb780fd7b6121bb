// The identity guard of local /enhance: an output whose face no longer matches the input
// is replaced by a gentler variant. The over-processed variant is made on purpose (the
// real enhancer's output, then the face region pixelated), everything else is the real
// pool, enhancer and face models.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createIdentityEngine, type IdentityRuntime } from '../../src/identity/engine.js';
import { runLocalEnhance, identityDrift } from '../../src/studio/enhance.js';
import { PAIR_THRESHOLD } from '../../src/identity/thresholds.js';
import type { WorkerPool } from '../../src/identity/pool.js';
import { fixture } from '../http/harness.js';

let engine: IdentityRuntime;
before(async () => {
  engine = await createIdentityEngine({ workers: 1 });
});
after(async () => {
  await engine.close();
});

/** Pixelates the whole image: faces stay detectable as faces but lose who they are. */
async function overProcess(img: Buffer): Promise<Buffer> {
  const m = await sharp(img).metadata();
  const small = await sharp(img).resize(24).toBuffer(); // a face ~8 blocks wide, whatever the size
  return sharp(small).resize(m.width!, m.height!, { kernel: 'nearest' }).jpeg().toBuffer();
}

test('identityDrift is 1 with no faces and the worst best-match otherwise', async () => {
  const a = await engine.analyze(await fixture('caltech_p06_0100.jpg'));
  const b = await engine.analyze(await fixture('caltech_p13_0180.jpg'));
  assert.equal(identityDrift([], b.faces), 1);
  assert.ok(identityDrift(a.faces, a.faces) > 0.999);
  assert.ok(identityDrift(a.faces, b.faces) < PAIR_THRESHOLD);
  assert.equal(identityDrift(a.faces, []), 0);
});

test('an over-processed output trips the guard and is replaced by a gentler variant that keeps the identity', async () => {
  const input = await fixture('caltech_p06_0100.jpg');
  const calls: string[] = [];
  const spoiled: Buffer[] = [];
  const pool = {
    async run<T>(task: string, payload: unknown): Promise<T> {
      calls.push(task);
      const out = await engine.pool.run<any>(task, payload);
      if (task !== 'enhance') return out as T;
      // Deliberately over-process the first variant.
      const bad = await overProcess(Buffer.from(out[0].data));
      spoiled.push(bad);
      out[0] = { ...out[0], data: new Uint8Array(bad) };
      return out as T;
    },
  } as unknown as WorkerPool;

  const before = identityDrift((await engine.analyze(input)).faces, (await engine.analyze(spoiled[0] ?? (await overProcess(input)))).faces);
  assert.ok(before < PAIR_THRESHOLD, `the spoiled variant should drift, similarity ${before}`);

  const outs = (await runLocalEnhance({ pool, identity: async () => engine, input, variants: 1, format: 'jpg', signal: new AbortController().signal })).map((o) => o.data);
  assert.equal(outs.length, 1);
  assert.ok(calls.includes('enhance.gentler'), `guard did not ask for a gentler variant: ${calls}`);
  assert.ok(!outs[0].equals(spoiled[0]), 'the spoiled output was returned');
  const sim = identityDrift((await engine.analyze(input)).faces, (await engine.analyze(outs[0])).faces);
  assert.ok(sim >= PAIR_THRESHOLD, `replacement drifts too: ${sim}`);
});

test('a faithful output passes the guard untouched', async () => {
  const input = await fixture('caltech_p06_0100.jpg');
  const calls: string[] = [];
  const pool = {
    run: (task: string, payload: unknown) => {
      calls.push(task);
      return engine.pool.run(task, payload);
    },
  } as unknown as WorkerPool;
  const outs = (await runLocalEnhance({ pool, identity: async () => engine, input, variants: 2, format: 'png', signal: new AbortController().signal })).map((o) => o.data);
  assert.equal(outs.length, 2);
  assert.deepEqual(calls, ['enhance']);
  assert.ok(!outs[0].equals(outs[1]), 'variants are copies');
});
