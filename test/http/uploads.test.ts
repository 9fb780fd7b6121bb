// Local uploads through the API: raw and multipart bodies, the image checks (size, type,
// decode, metadata stripped), the signed GET, use in /profiles/add and the studio without
// LIKENESS_ALLOW_PRIVATE_URLS, another account's upload is a 404, expiry and the sweep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, fixture, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  // Private URLs are NOT allowed: uploads must work without fetching from ourselves.
  s = await startTestServer({ LIKENESS_ALLOW_PRIVATE_URLS: '0' });
});
after(async () => s.close());

async function upload(body: Buffer | string | FormData, headers: Record<string, string>, key = s.key) {
  const res = await fetch(`${s.url}/v1/phota/uploads`, { method: 'POST', headers: { 'X-API-Key': key, ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

test('a raw image/* body and a multipart file both become a signed URL that serves the cleaned image', async () => {
  const jpeg = await fixture('caltech_p06_0090.jpg');
  // An EXIF segment with a "GPS" marker: it must not survive the upload.
  const payload = Buffer.from('Exif\0\0GPSsecret!!');
  const exif = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, payload.length + 2]), payload]);
  const withExif = Buffer.concat([jpeg.subarray(0, 2), exif, jpeg.subarray(2)]);
  const raw = await upload(withExif, { 'Content-Type': 'image/jpeg' });
  assert.equal(raw.status, 200, JSON.stringify(raw.body));
  assert.match(raw.body.url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/phota\/uploads\/upl_[a-z0-9]{24}\.jpg\?expires=\d+&token=/);
  const ttl = Date.parse(raw.body.expires_at) - Date.now();
  assert.ok(ttl > 23.9 * 3600e3 && ttl <= 24 * 3600e3, `expires in ${ttl} ms`);
  const got = await fetch(raw.body.url);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'image/jpeg');
  const bytes = Buffer.from(await got.arrayBuffer());
  assert.ok(!bytes.includes(Buffer.from('GPSsecret')), 'metadata was kept');

  const form = new FormData();
  form.append('file', new Blob([await fixture('coffee.png')], { type: 'image/png' }), 'coffee.png');
  const multi = await upload(form, {});
  assert.equal(multi.status, 200, JSON.stringify(multi.body));
  assert.match(multi.body.url, /\.(png|jpg)\?/);

  // A tampered signature is refused.
  const bad = await fetch(raw.body.url.replace(/token=./, 'token=A'));
  assert.equal(bad.status, 403);
});

test('size, type and decode limits answer in the API error shape', async () => {
  const big = await upload(Buffer.alloc(26 * 1024 * 1024, 1), { 'Content-Type': 'image/jpeg' });
  assert.equal(big.status, 400);
  assert.equal(big.body.code, 'IMAGE_TOO_LARGE');
  assert.ok(big.body.request_id);
  const notImage = await upload(Buffer.from('GIF89a but not really'), { 'Content-Type': 'image/gif' });
  assert.equal(notImage.status, 400);
  assert.equal(notImage.body.code, 'IMAGE_UNREADABLE');
  const pdf = await upload(Buffer.from('%PDF-1.4 ...'), { 'Content-Type': 'image/png' });
  assert.equal(pdf.status, 400);
  assert.equal(pdf.body.code, 'IMAGE_UNREADABLE');
  assert.match(pdf.body.detail, /PDF/);
  const text = await upload('hello', { 'Content-Type': 'text/plain' });
  assert.equal(text.status, 415);
  const empty = await upload(new FormData(), {});
  assert.equal(empty.status, 400);
  const noKey = await fetch(`${s.url}/v1/phota/uploads`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: 'x' });
  assert.equal(noKey.status, 403);
});

test("the owner's studio and /profiles/add accept the upload; another account's use is a 404", async () => {
  const up = await upload(await fixture('caltech_p06_0100.jpg'), { 'Content-Type': 'image/jpeg' });
  assert.equal(up.status, 200);
  // Studio: the upload is read from the blob store (private URLs are not allowed on this server).
  const rec = await s.json('POST', '/v1/phota/recognize', { image: up.body.url, profile_ids: ['nosuchprofile0000000'] });
  assert.equal(rec.status, 404);
  assert.equal(rec.body.code, 'PROFILE_NOT_FOUND'); // got past the image: the profile is what is missing

  const other = await s.newAccount();
  const asOther = await s.json('POST', '/v1/phota/enhance', { image: up.body.url }, { 'X-API-Key': other.key });
  assert.equal(asOther.status, 404, JSON.stringify(asOther.body));
  assert.equal(asOther.body.code, 'NOT_FOUND');
  assert.match(asOther.body.detail, /^image: upload not found/);

  const urls = Array(5).fill(up.body.url);
  const addOther = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast' }, { 'X-API-Key': other.key });
  assert.equal(addOther.status, 404);
  assert.match(addOther.body.detail, /^image_urls\[0\]/);
  const addOwn = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast' });
  assert.equal(addOwn.status, 200, JSON.stringify(addOwn.body));
  await s.json('DELETE', `/v1/phota/profiles/${addOwn.body.profile_id}`);
});

test('an expired upload is refused, then swept from the store and the blob store', async () => {
  const short = await startTestServer({ LIKENESS_UPLOAD_TTL_S: '1' });
  try {
    const res = await fetch(`${short.url}/v1/phota/uploads`, {
      method: 'POST',
      headers: { 'X-API-Key': short.key, 'Content-Type': 'image/jpeg' },
      body: await fixture('caltech_p06_0091.jpg'),
    });
    const up = (await res.json()) as any;
    // Through the blob store port: the data dir's folder, or S3 in the distributed pass.
    const blobs = short.server.ctx.blobs;
    assert.ok(await blobs.get(`uploads/${up.upload_id}`));
    await new Promise((r) => setTimeout(r, 1100));
    const use = await short.json('POST', '/v1/phota/enhance', { image: up.url });
    assert.equal(use.status, 404);
    assert.match(use.body.detail, /expired/);
    const get = await fetch(up.url);
    assert.equal(get.status, 403);
    assert.equal(await short.server.ctx.uploads.sweep(Date.now()), 1);
    assert.equal(await blobs.get(`uploads/${up.upload_id}`), undefined, 'blob left behind');
    assert.equal(await short.server.ctx.uploads.sweep(Date.now()), 0);
  } finally {
    await short.close();
  }
});
