// The identity loop end to end (issue #12): nb2 (one image per call) through a Gemini
// stand-in that draws, in a scripted order, real photos of the trained people, of strangers,
// a drifted look-alike (the person blurred until just under the profile's threshold) or a
// refusal. Recognition of every candidate is real. Likeness must retry a miss, repair a
// look-alike with one edit, return the best miss when the budget runs out, say so in
// `identity`, count the base-model calls in X-Likeness-Base-Model-Calls and charge credits
// once per returned output, never per attempt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startTestServer, startPhotoServer, fixture, poll, type TestServer } from './harness.js';
import { startGeminiImages, type GeminiStandIn } from '../providers/gemini-images.js';

let s: TestServer;
let photos: Awaited<ReturnType<typeof startPhotoServer>>;
let gemini: GeminiStandIn;
let receiver: http.Server;
let receiverUrl = '';
const callbacks: string[] = [];
let pA = ''; // caltech p06
let pB = ''; // caltech p13

const PRICE = 130_000; // generate.identity, micro-dollars
const balance = () => s.server.ctx.store.credits.balance(s.accountId);
const calls = (r: { res: Response }) => Number(r.res.headers.get('x-likeness-base-model-calls'));

/** Photos side by side at one height: a "scene" with several people. */
async function sideBySide(names: string[]): Promise<Buffer> {
  const parts = await Promise.all(names.map(async (n) => sharp(await fixture(n)).resize({ height: 400 }).jpeg().toBuffer()));
  const widths = await Promise.all(parts.map(async (p) => (await sharp(p).metadata()).width!));
  let x = 0;
  const composite = parts.map((p, i) => ({ input: p, left: (x += i ? widths[i - 1] : 0), top: 0 }));
  return sharp({ create: { width: widths.reduce((a, b) => a + b, 0), height: 400, channels: 3, background: '#808080' } }).composite(composite).jpeg().toBuffer();
}
const photo = (n: string) => fixture(n);
/** The person's face drifted: blurred until it scores just under the profile's cut (≈0.93 vs 0.947). */
const lookAlike = async () => sharp(await fixture('caltech_p06_0100.jpg')).blur(7).jpeg().toBuffer();

before(async () => {
  gemini = await startGeminiImages();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      callbacks.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  s = await startTestServer({
    LIKENESS_GEMINI_API_KEY: 'g-test',
    LIKENESS_GEMINI_BASE_URL: gemini.url,
    LIKENESS_CREDITS: '1',
    LIKENESS_CALLBACK_RETRY_DELAYS_S: '0',
  });
  photos = await startPhotoServer();
  await s.server.ctx.store.credits.grant(s.accountId, 100_000_000, 'test top-up');
});
after(async () => {
  await s.close();
  await photos.close();
  await gemini.close();
  await new Promise((r) => receiver.close(r));
});

async function train(names: string[]): Promise<string> {
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: names.map((n) => photos.url(n)), training_tier: 'fast' });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  const st = await poll(async () => {
    const r = await s.json('GET', `/v1/phota/profiles/${add.body.profile_id}/status`);
    return ['READY', 'ERROR'].includes(r.body.status) ? r.body : undefined;
  }, 240_000);
  assert.equal(st.status, 'READY', st.message);
  return add.body.profile_id;
}

test('train the two profiles used below', async () => {
  pA = await train(['0090', '0091', '0092', '0093', '0094', '0096'].map((n) => `caltech_p06_${n}.jpg`));
  pB = await train(['0174', '0175', '0176', '0177', '0178'].map((n) => `caltech_p13_${n}.jpg`));
});

test('/generate nb2, two [[id]]s: the first scene lacks one of them, the retry has both; charged once', async () => {
  gemini.script([await sideBySide(['caltech_p06_0105.jpg', 'caltech_p21_0330.jpg']), await sideBySide(['caltech_p06_0105.jpg', 'caltech_p13_0180.jpg'])]);
  const before = await balance();
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `[[${pA}]] and [[${pB}]] at a cafe`, aspect_ratio: '16:9' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(gemini.calls.length, 2);
  assert.equal(calls(r), 2);
  assert.deepEqual(r.body.identity, [{ passed: true, attempts: 2, missing: [] }]);
  assert.deepEqual(r.body.known_subjects.counts, { [pA]: 1, [pB]: 1 });
  for (const m of r.body.known_subjects.matches) assert.ok(m.similarity >= 0.947, JSON.stringify(m));
  // Both calls carried the same prompt and both people's reference photos.
  for (const c of gemini.calls) {
    assert.match(c.texts.join(' '), /at a cafe/);
    assert.ok(c.images.length >= 2, `references of both people, got ${c.images.length}`);
  }
  assert.equal(before - (await balance()), PRICE, 'one output, one charge, whatever the attempts');
});

test('identity_attempts: 1 disables retries: the miss comes back, not passed', async () => {
  gemini.script([await photo('caltech_p21_0330.jpg'), await photo('caltech_p06_0105.jpg')]);
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]`, identity_attempts: 1 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(gemini.calls.length, 1);
  assert.equal(calls(r), 1);
  assert.deepEqual(r.body.identity, [{ passed: false, attempts: 1, missing: [pA] }]);
  assert.deepEqual(r.body.known_subjects, { counts: {}, matches: [] });
});

test('a look-alike just under the threshold is repaired by one edit with the candidate and the references', async () => {
  const fixed = await photo('caltech_p06_0100.jpg');
  gemini.script([await lookAlike(), () => fixed]);
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]] in a garden` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(calls(r), 2);
  assert.deepEqual(r.body.identity, [{ passed: true, attempts: 2, missing: [] }]);
  const [gen, repair] = gemini.calls;
  assert.match(gen.texts.join(' '), /in a garden/);
  const prompt = repair.texts[repair.texts.length - 1];
  assert.match(prompt, /^Make the face of the person in image 1 match the person shown in reference images 2, 3 and 4\. Change nothing else/);
  assert.equal(repair.images.length, 4, 'the candidate and three reference photos');
  assert.equal(repair.texts[0], 'Input image 1:');
  const first = await sharp(repair.images[0]).metadata();
  assert.deepEqual([first.width, first.height], [1024, 1024], 'image 1 is the candidate as it would be returned');
});

test('only misses: the budget runs out and the best candidate (the highest similarity) is returned, not passed', async () => {
  // A stranger; then the look-alike; then its repair fails (another stranger).
  gemini.script([await photo('caltech_p21_0330.jpg'), await lookAlike(), await photo('caltech_p02_0030.jpg')]);
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]`, response_mode: 'urls' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(calls(r), 3);
  assert.match(gemini.calls[2].texts.join(' '), /Make the face/);
  assert.deepEqual(r.body.identity, [{ passed: false, attempts: 3, missing: [pA] }]);
  // The returned image is the look-alike: nearer to the person than either stranger (< 0.90).
  const out = Buffer.from(await (await fetch(r.body.download_urls[0])).arrayBuffer());
  const rec = await s.json('POST', '/v1/phota/recognize', { image: out.toString('base64'), profile_ids: [pA] });
  assert.equal(rec.body.faces.length, 1);
  assert.equal(rec.body.faces[0].profile_id, null);
  assert.ok(rec.body.faces[0].similarity > 0.907 && rec.body.faces[0].similarity < 0.947, String(rec.body.faces[0].similarity));
});

test('a refusal mid-loop ends the loop; the candidate made before it is returned, not passed', async () => {
  gemini.script([await photo('caltech_p21_0330.jpg'), { refuse: 'SAFETY' }, await photo('caltech_p06_0105.jpg')]);
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(gemini.calls.length, 2);
  assert.equal(calls(r), 2);
  assert.deepEqual(r.body.identity, [{ passed: false, attempts: 2, missing: [pA] }]);
  // A refusal on the first call is still the error it always was.
  gemini.script([{ refuse: 'SAFETY' }]);
  const refused = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]` });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'CONTENT_MODERATION');
});

test('two outputs: only the one that missed is generated again; two charges for three calls', async () => {
  gemini.script([await photo('caltech_p06_0105.jpg'), await photo('caltech_p21_0330.jpg'), await photo('caltech_p06_0099.jpg')]);
  const before = await balance();
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]`, num_output_images: 2 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(calls(r), 3);
  assert.equal(r.body.images.length, 2);
  // The two first calls run at once, so which of them got the stranger is not fixed.
  assert.deepEqual(r.body.identity.map((e: { passed: boolean }) => e.passed), [true, true]);
  assert.deepEqual(r.body.identity.map((e: { attempts: number }) => e.attempts).sort(), [1, 2]);
  assert.deepEqual(r.body.known_subjects.counts, { [pA]: 2 });
  assert.equal(before - (await balance()), 2 * PRICE);
});

test("an async job's result and callback carry the same identity block", async () => {
  gemini.script([await photo('caltech_p21_0330.jpg'), await photo('caltech_p06_0105.jpg')]);
  callbacks.length = 0;
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]`, async: true, response_mode: 'urls', callback_url: receiverUrl });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const cb = JSON.parse(await poll(async () => callbacks[0], 120_000));
  assert.equal(cb.status, 'SUCCEEDED', JSON.stringify(cb));
  assert.deepEqual(cb.result.identity, [{ passed: true, attempts: 2, missing: [] }]);
  const job = await s.json('GET', `/v1/phota/jobs/${r.body.job_id}`);
  assert.deepEqual(job.body.result.identity, cb.result.identity);
  assert.equal(gemini.calls.length, 2);
});

test('the OpenAPI document describes identity_attempts, identity and the calls header', async () => {
  const doc = (await s.json('GET', '/v1/phota/openapi.json')).body;
  const schemas = doc.components.schemas;
  for (const req of ['EditRequest', 'GenerateRequest', 'EnhanceRequest', 'RemixRequest']) {
    assert.equal(schemas[req].properties.identity_attempts.type, 'integer', req);
  }
  assert.deepEqual(Object.keys(schemas.EditResponse.properties.identity.items.properties), ['passed', 'attempts', 'missing']);
  assert.ok(doc.paths['/v1/phota/generate'].post.responses['200'].headers['X-Likeness-Base-Model-Calls']);
});

test('identity_attempts outside 1–8 is a 422', async () => {
  const r = await s.json('POST', '/v1/phota/generate', { prompt: `A portrait of [[${pA}]]`, identity_attempts: 0 });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.deepEqual(r.body.detail[0].loc, ['body', 'identity_attempts']);
});
