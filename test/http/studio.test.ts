// /generate and /edit end to end through a base model: a stand-in for the OpenAI Images API
// on 127.0.0.1 (the documented wire protocol: Bearer auth, JSON generations, multipart edits
// with repeated image[] parts, b64_json answers) returns real photos, one of the referenced
// person and others of strangers. Likeness must attach the profile's reference photos,
// rewrite [[id]] to a neutral phrase, return the right person first, count only them and
// report the similarity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startTestServer, startPhotoServer, fixture, poll, type TestServer } from './harness.js';

interface Seen {
  path: string;
  auth: string;
  prompt: string;
  n: number;
  size: string;
  quality: string | null;
  images: Buffer[];
}

let s: TestServer;
let photos: Awaited<ReturnType<typeof startPhotoServer>>;
let standIn: http.Server;
const seen: Seen[] = [];
let answer: string[] = []; // fixture names returned, in order
let failWith: { status: number; body: unknown } | null = null;
let gemini: http.Server;
const geminiSeen: Array<{ path: string; key: string; texts: string[]; images: Buffer[] }> = [];

before(async () => {
  standIn = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let prompt = '';
    let n = 1;
    let size = '';
    let quality: string | null = null;
    const images: Buffer[] = [];
    if (req.url === '/v1/images/generations') {
      const body = JSON.parse(raw.toString('utf8'));
      ({ prompt, n, size } = body);
      quality = body.quality ?? null;
    } else if (req.url === '/v1/images/edits') {
      const form = await new Response(raw, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
      prompt = String(form.get('prompt'));
      n = Number(form.get('n'));
      size = String(form.get('size'));
      quality = form.get('quality') === null ? null : String(form.get('quality'));
      for (const f of form.getAll('image[]')) images.push(Buffer.from(await (f as Blob).arrayBuffer()));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    seen.push({ path: req.url!, auth: String(req.headers.authorization), prompt, n, size, quality, images });
    if (failWith) {
      res.writeHead(failWith.status, { 'content-type': 'application/json' }).end(JSON.stringify(failWith.body));
      return;
    }
    const data = [];
    // Like a real model, answer at the requested size (the photo letterboxed into it).
    const [w, h] = size.split('x').map(Number);
    for (const name of answer.slice(0, n)) {
      const img = await sharp(await fixture(name)).resize(w, h, { fit: 'contain', background: '#808080' }).png().toBuffer();
      data.push({ b64_json: img.toString('base64') });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ created: 1, data }));
  });
  await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
  const port = (standIn.address() as AddressInfo).port;
  // Gemini generateContent stand-in: answers with the first attached image, re-toned (a "restyle").
  gemini = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const parts = body.contents.flatMap((c: any) => c.parts);
    const images = parts.filter((p: any) => p.inlineData).map((p: any) => Buffer.from(p.inlineData.data, 'base64'));
    geminiSeen.push({ path: req.url!, key: String(req.headers['x-goog-api-key']), texts: parts.filter((p: any) => p.text).map((p: any) => p.text), images });
    const out = await sharp(images[0]).modulate({ saturation: 0.4 }).tint('#c08040').png().toBuffer();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: out.toString('base64') } }] }, finishReason: 'STOP' }] }),
    );
  });
  await new Promise<void>((r) => gemini.listen(0, '127.0.0.1', r));
  s = await startTestServer({
    LIKENESS_OPENAI_API_KEY: 'sk-test-123',
    LIKENESS_OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
    LIKENESS_GEMINI_API_KEY: 'g-test',
    LIKENESS_GEMINI_BASE_URL: `http://127.0.0.1:${(gemini.address() as AddressInfo).port}`,
  });
  photos = await startPhotoServer();
});
after(async () => {
  await s.close();
  await photos.close();
  await new Promise((r) => standIn.close(r));
  await new Promise((r) => gemini.close(r));
});

let p06 = '';

test('train the profile used below', async () => {
  const urls = ['0090', '0091', '0092', '0093', '0094', '0096'].map((n) => photos.url(`caltech_p06_${n}.jpg`));
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast' });
  p06 = add.body.profile_id;
  const st = await poll(async () => {
    const r = await s.json('GET', `/v1/phota/profiles/${p06}/status`);
    return ['READY', 'ERROR'].includes(r.body.status) ? r.body : undefined;
  }, 240_000);
  assert.equal(st.status, 'READY', st.message);
});

test('/generate: references attached, prompt rewritten, the referenced person ranked first and counted', async () => {
  seen.length = 0;
  answer = ['caltech_p13_0180.jpg', 'caltech_p06_0105.jpg', 'caltech_p21_0330.jpg', 'caltech_p02_0030.jpg'];
  const r = await s.json('POST', '/v1/phota/generate', {
    prompt: `A portrait of [[${p06}]] on a beach at sunset`,
    base_model: 'gpt-image-2',
    quality: 'low',
    aspect_ratio: '4:3',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(seen.length, 1);
  const call = seen[0];
  assert.equal(call.auth, 'Bearer sk-test-123');
  assert.equal(call.path, '/v1/images/edits'); // reference photos go along, so it is an edit call
  assert.ok(call.images.length >= 1 && call.images.length <= 16, `attached ${call.images.length}`);
  assert.equal(call.n, 4, 'over-generates when identity matters');
  assert.equal(call.quality, 'low');
  assert.equal(call.size, '1184x864');
  assert.ok(!call.prompt.includes('[['), call.prompt);
  assert.ok(!call.prompt.includes(p06), call.prompt);
  assert.match(call.prompt, /the person shown in reference images? 1\b/);
  assert.match(call.prompt, /on a beach at sunset/);

  assert.equal(r.body.images.length, 1);
  assert.deepEqual(r.body.known_subjects.counts, { [p06]: 1 });
  assert.equal(r.body.known_subjects.matches.length, 1);
  const m = r.body.known_subjects.matches[0];
  assert.equal(m.image_index, 0);
  assert.equal(m.profile_id, p06);
  assert.ok(m.similarity > 0.9 && m.similarity <= 1, String(m.similarity));
  const meta = await sharp(Buffer.from(r.body.images[0], 'base64')).metadata();
  assert.equal(meta.format, 'jpeg'); // default output_format
  assert.deepEqual([meta.width, meta.height], [1184, 864]);
});

test('/generate without profiles passes straight through: no references, n as asked, nobody counted', async () => {
  seen.length = 0;
  answer = ['caltech_p13_0180.jpg', 'caltech_p21_0330.jpg'];
  const r = await s.json('POST', '/v1/phota/generate', { prompt: 'A lighthouse', base_model: 'gpt-image-2', num_output_images: 2, output_format: 'png', response_mode: 'urls' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(seen[0].path, '/v1/images/generations');
  assert.equal(seen[0].n, 2);
  assert.equal(r.body.download_urls.length, 2);
  assert.deepEqual(r.body.known_subjects, { counts: {}, matches: [] });
  const img = await fetch(r.body.download_urls[0]);
  assert.equal(img.headers.get('content-type'), 'image/png');
});

test('/edit: the user image goes first, the person in it is recognised, references follow', async () => {
  seen.length = 0;
  answer = ['caltech_p02_0030.jpg', 'group_caltech_p06_p13_p21.jpg'];
  const group = await fixture('group_caltech_p06_p13_p21.jpg');
  const r = await s.json('POST', '/v1/phota/edit', {
    prompt: 'Make everyone smile',
    images: [group.toString('base64')],
    profile_ids: [p06],
    base_model: 'gpt-image-2',
    num_output_images: 1,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const call = seen[0];
  assert.ok(call.images.length >= 2, 'input plus at least one reference');
  const first = await sharp(call.images[0]).metadata();
  const orig = await sharp(group).metadata();
  assert.deepEqual([first.width, first.height], [orig.width, orig.height]);
  assert.match(call.prompt, /Make everyone smile/);
  // The group output (which contains p06) beats the stranger.
  assert.deepEqual(r.body.known_subjects.counts, { [p06]: 1 });
  const meta = await sharp(Buffer.from(r.body.images[0], 'base64')).metadata();
  assert.deepEqual([meta.width, meta.height], [1344, 768]); // auto: the input's aspect snapped to 16:9
});

test('a refusal by the provider is 400 CONTENT_MODERATION', async () => {
  failWith = { status: 400, body: { error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', code: 'moderation_blocked' } } };
  try {
    const r = await s.json('POST', '/v1/phota/generate', { prompt: 'something refused', base_model: 'gpt-image-2' });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.code, 'CONTENT_MODERATION');
  } finally {
    failWith = null;
  }
});

test('/remix through nb2: content image first, style image second, then references; 2K at the input aspect; identity counted', async () => {
  geminiSeen.length = 0;
  const content = await fixture('caltech_p06_0105.jpg');
  const style = await fixture('coffee.png');
  const r = await s.json('POST', '/v1/phota/remix', {
    input_image: content.toString('base64'),
    reference_image: style.toString('base64'),
    profile_ids: [p06],
    prompt: 'keep the pose',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(geminiSeen.length, 1);
  const call = geminiSeen[0];
  assert.match(call.path, /:generateContent$/);
  assert.equal(call.key, 'g-test');
  assert.ok(call.images.length >= 3, `content, style and references, got ${call.images.length}`);
  const [a, b] = await Promise.all([sharp(call.images[0]).metadata(), sharp(call.images[1]).metadata()]);
  const [ca, sb] = await Promise.all([sharp(content).metadata(), sharp(style).metadata()]);
  assert.deepEqual([a.width, a.height, b.width, b.height], [ca.width, ca.height, sb.width, sb.height]);
  assert.ok(call.texts.join(' ').includes('keep the pose'));
  const out = await sharp(Buffer.from(r.body.images[0], 'base64')).metadata();
  assert.deepEqual([out.width, out.height], [2368, 1728]); // 623x412 snaps to 4:3, at 2K
  assert.deepEqual(r.body.known_subjects.counts, { [p06]: 1 });
});

test('LIKENESS_ENHANCE_BASE_MODEL=nb2 sends /enhance through the base model, with the enhance instruction, at 2K', async () => {
  const other = await startTestServer({
    LIKENESS_ENHANCE_BASE_MODEL: 'nb2',
    LIKENESS_GEMINI_API_KEY: 'g-test',
    LIKENESS_GEMINI_BASE_URL: `http://127.0.0.1:${(gemini.address() as AddressInfo).port}`,
  });
  try {
    geminiSeen.length = 0;
    const image = await fixture('london_001_neutral.jpg');
    const r = await other.json('POST', '/v1/phota/enhance', { image: image.toString('base64'), prompt: 'warmer' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(geminiSeen.length, 1);
    assert.match(geminiSeen[0].texts.join(' '), /Enhance image 1/);
    assert.match(geminiSeen[0].texts.join(' '), /warmer/);
    const out = await sharp(Buffer.from(r.body.images[0], 'base64')).metadata();
    assert.deepEqual([out.width, out.height], [2048, 2048]);
  } finally {
    await other.close();
  }
});
