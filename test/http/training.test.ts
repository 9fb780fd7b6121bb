// Profiles trained through the API from real photos served on 127.0.0.1, then recognised:
// the dominant person is picked out of a set with strangers and a group collage, other
// people are not recognised as the profile, and two known people in one photo are each
// recognised once. The account webhook announces READY, signed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startTestServer, startPhotoServer, fixture, poll, type TestServer } from './harness.js';
import { verifySignature } from '../../src/jobs/signing.js';

let s: TestServer;
let photos: Awaited<ReturnType<typeof startPhotoServer>>;
let hook: http.Server;
const events: Array<{ body: any; raw: string; signature: string }> = [];

before(async () => {
  s = await startTestServer();
  photos = await startPhotoServer();
  hook = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      events.push({ body: JSON.parse(raw), raw, signature: String(req.headers['x-phota-signature']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
});
after(async () => {
  await s.close();
  await photos.close();
  await new Promise((r) => hook.close(r));
});

const P06 = ['0090', '0091', '0092', '0093', '0094', '0095', '0096', '0097', '0098', '0099'].map((n) => `caltech_p06_${n}.jpg`);
const P13 = ['0174', '0175', '0176', '0177', '0178', '0180'].map((n) => `caltech_p13_${n}.jpg`);

async function train(urls: string[], tier: 'standard' | 'fast') {
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: tier });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  const id: string = add.body.profile_id;
  const seen = new Set<string>();
  const final = await poll(async () => {
    const st = await s.json('GET', `/v1/phota/profiles/${id}/status`);
    seen.add(st.body.status);
    return st.body.status === 'READY' || st.body.status === 'ERROR' ? st.body : undefined;
  }, 240_000, 100);
  return { id, final, seen };
}

let p06 = '';
let p13 = '';

test('a standard profile from 10 photos of one person plus strangers, a group collage and a blurred photo picks that person', async () => {
  const wh = await s.json('PUT', '/v1/phota/webhook', { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events` });
  assert.equal(wh.status, 200);
  const extra = ['caltech_p13_0180.jpg', 'group_caltech_p06_p13_p21.jpg', 'caltech_p02_0030.jpg', 'coffee.png'];
  const urls = [...P06, ...extra].map((n) => photos.url(n));
  const { id, final, seen } = await train(urls, 'standard');
  p06 = id;
  assert.equal(final.status, 'READY', final.message);
  assert.equal(final.message, null);
  assert.equal(final.progress, 1);
  assert.ok(seen.size >= 2, `only saw ${[...seen]}`);
  assert.equal(final.images.length, urls.length);
  for (const [i, rep] of final.images.entries()) {
    assert.equal(rep.url, urls[i]);
    if (i < P06.length) assert.equal(rep.accepted, true, `${P06[i]}: ${rep.reasons}`);
  }
  const stranger = final.images[P06.length]; // p13 alone: someone else
  assert.equal(stranger.accepted, false);
  assert.ok(stranger.reasons.length > 0);
  const coffee = final.images[urls.length - 1];
  assert.equal(coffee.accepted, false);
  assert.ok(coffee.reasons.some((r: string) => /face/i.test(r)), coffee.reasons.join());

  // Profile picture: a square JPEG.
  const pic = await s.call('GET', `/v1/phota/profiles/${id}/profile_picture`);
  assert.equal(pic.status, 200);
  assert.equal(pic.headers.get('content-type'), 'image/jpeg');
  const meta = await sharp(Buffer.from(await pic.arrayBuffer())).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, meta.height);

  // The webhook announced it, signed with the account's secret.
  await poll(async () => (events.some((e) => e.body.profile_id === id) ? true : undefined), 20_000);
  const ev = events.find((e) => e.body.profile_id === id)!;
  assert.equal(ev.body.type, 'profile.ready');
  assert.equal(ev.body.status, 'READY');
  const secret = (await s.json('GET', '/v1/phota/webhook-secret')).body.webhook_secret;
  assert.ok(verifySignature(ev.signature, ev.raw, [secret], Math.floor(Date.now() / 1000)));
});

test('a fast profile from 6 photos', async () => {
  const { id, final } = await train(P13.map((n) => photos.url(n)), 'fast');
  p13 = id;
  assert.equal(final.status, 'READY', final.message);
});

test('recognition: both known people in the group collage, once each; the stranger is nobody', async () => {
  assert.ok(p06 && p13, 'training tests must run first');
  const group = (await fixture('group_caltech_p06_p13_p21.jpg')).toString('base64');
  const r = await s.json('POST', '/v1/phota/recognize', { image: group, profile_ids: [p06, p13] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.faces.length, 3);
  const byX = [...r.body.faces].sort((a: any, b: any) => a.box[0] - b.box[0]);
  assert.equal(byX[0].profile_id, p06); // left to right: p06, p13, p21
  assert.equal(byX[1].profile_id, p13);
  assert.equal(byX[2].profile_id, null);
  assert.ok(byX[0].similarity > byX[2].similarity);

  // A photo of p06 not used in training is recognised; another person is not.
  const held = (await fixture('caltech_p06_0105.jpg')).toString('base64');
  const hr = await s.json('POST', '/v1/phota/recognize', { image: held, profile_ids: [p06, p13] });
  assert.equal(hr.body.faces.length, 1);
  assert.equal(hr.body.faces[0].profile_id, p06);
  for (const other of ['caltech_p02_0030.jpg', 'caltech_p21_0330.jpg', 'london_001_neutral.jpg']) {
    const img = (await fixture(other)).toString('base64');
    const o = await s.json('POST', '/v1/phota/recognize', { image: img, profile_ids: [p06] });
    assert.equal(o.status, 200);
    assert.ok(o.body.faces.length >= 1, other);
    assert.ok(o.body.faces.every((f: any) => f.profile_id === null), `${other} recognised as p06`);
  }
});

test('a profile whose photos show nobody ends in ERROR with a message naming the photos', async () => {
  const urls = ['coffee.png', 'coffee.png', 'coffee.png', 'coffee.png', 'caltech_p06_0100.jpg'].map((n) => photos.url(n));
  const { final } = await train(urls, 'fast');
  assert.equal(final.status, 'ERROR');
  assert.ok(final.message && final.message.length > 10, final.message);
  assert.equal(final.images.filter((i: any) => !i.accepted).length >= 4, true);
  const pic = await s.json('GET', `/v1/phota/profiles/${(await s.json('GET', '/v1/phota/profiles/ids')).body.profiles[0]}/profile_picture`);
  assert.equal(pic.body.code, 'PROFILE_NOT_READY');
});
