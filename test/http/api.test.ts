// The API contract end to end on a real server: auth, request ids, validation shapes, error
// codes, profiles' lifecycle edges, isolation between accounts, webhook secrets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, fixture, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

const ERROR_KEYS = ['code', 'detail', 'request_id'];

function assertError(r: { status: number; body: any; res: Response }, status: number, code: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ERROR_KEYS);
  assert.equal(r.body.code, code);
  assert.ok(r.body.detail.length > 0);
  assert.equal(r.body.request_id, r.res.headers.get('x-request-id'));
}

function assert422(r: { status: number; body: any }, loc: (string | number)[], type?: string) {
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.ok(Array.isArray(r.body.detail));
  const hit = r.body.detail.find((d: any) => JSON.stringify(d.loc) === JSON.stringify(loc));
  assert.ok(hit, `no issue at ${JSON.stringify(loc)} in ${JSON.stringify(r.body.detail)}`);
  assert.equal(typeof hit.msg, 'string');
  if (type) assert.equal(hit.type, type);
}

test('missing key is 403 API_KEY_MISSING, wrong key is 401 API_KEY_INVALID', async () => {
  const missing = await s.json('GET', '/v1/phota/profiles/ids', undefined, { 'X-API-Key': '' });
  assertError(missing, 403, 'API_KEY_MISSING');
  const wrong = await s.json('GET', '/v1/phota/profiles/ids', undefined, { 'X-API-Key': 'lk_nope' });
  assertError(wrong, 401, 'API_KEY_INVALID');
});

test('every response carries X-Request-Id; a sane incoming one is kept', async () => {
  const r = await s.call('GET', '/v1/phota/', undefined, { 'X-Request-Id': 'client-abc.123' });
  assert.equal(r.headers.get('x-request-id'), 'client-abc.123');
  const r2 = await s.call('GET', '/v1/phota/', undefined, { 'X-Request-Id': 'bad id with spaces' });
  assert.match(r2.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{24}$/);
  const nf = await s.json('GET', '/v1/phota/nope');
  assertError(nf, 404, 'NOT_FOUND');
});

test('GET / answers the key check; openapi.json needs no key and lists every endpoint', async () => {
  const root = await s.json('GET', '/v1/phota/');
  assert.equal(root.status, 200);
  assert.deepEqual(root.body, { service: 'likeness', version: root.body.version, account_id: s.accountId });
  const res = await fetch(s.url + '/v1/phota/openapi.json');
  assert.equal(res.status, 200);
  const doc: any = await res.json();
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info.title, 'Phota API');
  for (const p of ['/v1/phota/edit', '/v1/phota/generate', '/v1/phota/enhance', '/v1/phota/remix', '/v1/phota/profiles/add', '/v1/phota/jobs/{job_id}', '/v1/phota/webhook-secret']) {
    assert.ok(doc.paths[p], `openapi lacks ${p}`);
  }
  assert.equal(doc.paths['/v1/phota/edit'].post.operationId, 'edit_v1_phota_edit_post');
  assert.ok(doc.components.schemas.EditRequest.properties.base_model.enum.includes('nb2'));
});

test('GET /models lists the five base models with capabilities and configuration', async () => {
  const r = await s.json('GET', '/v1/phota/models');
  assert.equal(r.status, 200);
  const ids = r.body.models.map((m: any) => m.id);
  for (const id of ['flux-2', 'gpt-image-2', 'nb2', 'qwen-image-2', 'reve']) assert.ok(ids.includes(id), id);
  const flux = r.body.models.find((m: any) => m.id === 'flux-2');
  assert.deepEqual(flux.resolutions, ['1K', '2K']);
  assert.equal(flux.configured, false);
});

test('422s follow FastAPI: missing fields, enums, ranges, JSON errors, one entry per problem', async () => {
  assert422(await s.json('POST', '/v1/phota/edit', { prompt: 'x' }), ['body', 'images'], 'missing');
  assert422(await s.json('POST', '/v1/phota/edit', { prompt: '', images: ['a'] }), ['body', 'prompt'], 'string_too_short');
  const many = await s.json('POST', '/v1/phota/generate', { prompt: 'x', num_output_images: 5, aspect_ratio: '2:1', base_model: 'dall-e' });
  assert422(many, ['body', 'num_output_images'], 'less_than_equal');
  assert422(many, ['body', 'aspect_ratio'], 'enum');
  assert422(many, ['body', 'base_model'], 'enum'); // unknown base_model → 422 (decisions #4)
  assert.equal(many.body.detail.length, 3);
  assert422(await s.json('POST', '/v1/phota/edit', { prompt: 'x', images: Array(11).fill('a') }), ['body', 'images'], 'too_long');
  const bad = await s.json('POST', '/v1/phota/edit', '{"prompt": ');
  assert.equal(bad.status, 422);
  assert.equal(bad.body.detail[0].type, 'json_invalid');
  assert.equal(bad.body.detail[0].loc[0], 'body');
  assert422(await s.json('POST', '/v1/phota/enhance', undefined, { 'Content-Type': 'application/json' }), ['body'], 'missing');
  assert422(await s.json('POST', '/v1/phota/generate', { prompt: 'x', num_output_images: '2' }), ['body', 'num_output_images'], 'int_type');
});

test('async rules: bytes mode and callback without async are 422 (decisions #28)', async () => {
  const img = (await fixture('caltech_p06_0100.jpg')).toString('base64');
  assert422(await s.json('POST', '/v1/phota/enhance', { image: img, async: true }), ['body', 'response_mode']);
  assert422(await s.json('POST', '/v1/phota/enhance', { image: img, callback_url: 'https://example.com/cb' }), ['body', 'callback_url']);
});

test('profiles/add: tier image counts are 422 on image_urls; bad URL schemes too', async () => {
  const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://example.com/${i}.jpg`);
  assert422(await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls(4) }), ['body', 'image_urls'], 'too_short');
  assert422(await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls(51) }), ['body', 'image_urls'], 'too_long');
  assert422(await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls(7) }), ['body', 'image_urls'], 'value_error');
  assert422(await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls(12), training_tier: 'fast' }), ['body', 'image_urls'], 'value_error');
  assert422(await s.json('POST', '/v1/phota/profiles/add', { image_urls: [...urls(9), 'ftp://x/y.jpg'] }), ['body', 'image_urls', 9], 'url_scheme');
  assert422(await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls(10), tag: '' }), ['body', 'tag'], 'string_too_short');
});

test('profile lifecycle edges: new profile is VALIDATING, picture before READY, list by tag, delete twice', async () => {
  // Photos on a port nobody listens on: the profile is created, then fails during VALIDATING.
  const urls = Array.from({ length: 5 }, (_, i) => `http://127.0.0.1:9/${i}.jpg`);
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: urls, training_tier: 'fast', tag: 'user-42', pro_mode: true });
  assert.equal(add.status, 200);
  assert.match(add.body.profile_id, /^[a-z0-9]{20}$/);
  const id = add.body.profile_id;
  const st = await s.json('GET', `/v1/phota/profiles/${id}/status`);
  assert.equal(st.status, 200);
  assert.equal(st.body.profile_id, id);
  assert.ok(['VALIDATING', 'QUEUING', 'IN_PROGRESS', 'ERROR'].includes(st.body.status));
  assertError(await s.json('GET', `/v1/phota/profiles/${id}/profile_picture`), 404, 'PROFILE_NOT_READY');
  assert.deepEqual((await s.json('GET', '/v1/phota/profiles/ids?tag=user-42')).body, { profiles: [id] });
  assert.deepEqual((await s.json('GET', '/v1/phota/profiles/ids?tag=User-42')).body, { profiles: [] });
  assert.ok((await s.json('GET', '/v1/phota/profiles/ids')).body.profiles.includes(id));
  // A studio request naming a profile that is not READY.
  const gen = await s.json('POST', '/v1/phota/generate', { prompt: `a photo of [[${id}]]` });
  if (gen.body.code !== 'PROFILE_NOT_READY') assert.fail(JSON.stringify(gen.body));
  assertError(gen, 404, 'PROFILE_NOT_READY');
  const del = await s.json('DELETE', `/v1/phota/profiles/${id}`);
  assert.deepEqual(del.body, { profile_id: id, status: 'deleted' });
  assertError(await s.json('DELETE', `/v1/phota/profiles/${id}`), 404, 'PROFILE_NOT_FOUND');
  assertError(await s.json('GET', `/v1/phota/profiles/${id}/status`), 404, 'PROFILE_NOT_FOUND');
});

test('profile ids paginate with limit and next_cursor, newest first', async () => {
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await s.json('POST', '/v1/phota/profiles/add', { image_urls: Array(5).fill('http://127.0.0.1:9/x.jpg'), training_tier: 'fast', tag: 'page' });
    made.push(r.body.profile_id);
  }
  const p1 = await s.json('GET', '/v1/phota/profiles/ids?tag=page&limit=2');
  assert.equal(p1.body.profiles.length, 2);
  assert.ok(p1.body.next_cursor);
  const p2 = await s.json('GET', `/v1/phota/profiles/ids?tag=page&limit=2&cursor=${encodeURIComponent(p1.body.next_cursor)}`);
  assert.deepEqual([...p1.body.profiles, ...p2.body.profiles], made.reverse());
  assert.equal(p2.body.next_cursor, undefined);
  assert422(await s.json('GET', '/v1/phota/profiles/ids?limit=abc'), ['query', 'limit']);
});

test('studio errors: unknown profile, quality/resolution mismatches, unconfigured base model', async () => {
  assertError(await s.json('POST', '/v1/phota/generate', { prompt: 'hello [[aaaaaaaaaaaaaaaaaaaa]]' }), 404, 'PROFILE_NOT_FOUND');
  assertError(await s.json('POST', '/v1/phota/generate', { prompt: 'x', quality: 'high' }), 400, 'UNSUPPORTED_QUALITY');
  assertError(await s.json('POST', '/v1/phota/generate', { prompt: 'x', base_model: 'flux-2', resolution: '4K' }), 400, 'UNSUPPORTED_RESOLUTION');
  assertError(await s.json('POST', '/v1/phota/generate', { prompt: 'x', base_model: 'reve', resolution: '2K' }), 400, 'UNSUPPORTED_RESOLUTION');
  const na = await s.json('POST', '/v1/phota/generate', { prompt: 'x', pro_mode: true });
  assertError(na, 503, 'BASE_MODEL_UNAVAILABLE');
  assert.match(na.body.detail, /LIKENESS_GEMINI_API_KEY/);
  const img = (await fixture('caltech_p06_0100.jpg')).toString('base64');
  assertError(await s.json('POST', '/v1/phota/edit', { prompt: 'x', images: [img] }), 503, 'BASE_MODEL_UNAVAILABLE');
  assertError(await s.json('POST', '/v1/phota/remix', { input_image: img, reference_image: img }), 503, 'BASE_MODEL_UNAVAILABLE');
  // quality is accepted with gpt-image-2 (then 503 only because it is not configured here)
  assertError(await s.json('POST', '/v1/phota/generate', { prompt: 'x', base_model: 'gpt-image-2', quality: 'low', resolution: '4K' }), 503, 'BASE_MODEL_UNAVAILABLE');
});

test('bad images: not an image, bad base64, unreachable URL', async () => {
  const notImage = Buffer.from('this is plainly not an image, just some text bytes').toString('base64');
  assertError(await s.json('POST', '/v1/phota/enhance', { image: notImage }), 400, 'IMAGE_UNREADABLE');
  assertError(await s.json('POST', '/v1/phota/enhance', { image: '%%%not base64%%%' }), 400, 'IMAGE_UNREADABLE');
  assertError(await s.json('POST', '/v1/phota/enhance', { image: 'http://127.0.0.1:9/photo.jpg' }), 400, 'IMAGE_FETCH_FAILED');
  const r = await s.json('POST', '/v1/phota/recognize', { image: notImage, profile_ids: [] });
  assert422(r, ['body', 'profile_ids'], 'too_short');
});

test('accounts are isolated: another account sees 404 for profiles and jobs', async () => {
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: Array(5).fill('http://127.0.0.1:9/x.jpg'), training_tier: 'fast' });
  const id = add.body.profile_id;
  const other = await s.newAccount();
  const h = { 'X-API-Key': other.key };
  assertError(await s.json('GET', `/v1/phota/profiles/${id}/status`, undefined, h), 404, 'PROFILE_NOT_FOUND');
  assertError(await s.json('GET', `/v1/phota/profiles/${id}/profile_picture`, undefined, h), 404, 'PROFILE_NOT_FOUND');
  assertError(await s.json('DELETE', `/v1/phota/profiles/${id}`, undefined, h), 404, 'PROFILE_NOT_FOUND');
  assertError(await s.json('POST', '/v1/phota/generate', { prompt: `[[${id}]]` }, h), 404, 'PROFILE_NOT_FOUND');
  assert.deepEqual((await s.json('GET', '/v1/phota/profiles/ids', undefined, h)).body, { profiles: [] });
  assertError(await s.json('GET', '/v1/phota/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaa', undefined, h), 404, 'NOT_FOUND');
  // and the owner still sees it
  assert.equal((await s.json('GET', `/v1/phota/profiles/${id}/status`)).status, 200);
});

test('webhook secret: stable until rotated; account webhook set, shown and removed', async () => {
  const a = await s.json('GET', '/v1/phota/webhook-secret');
  assert.match(a.body.webhook_secret, /^whsec_[0-9a-f]{64}$/);
  assert.equal((await s.json('GET', '/v1/phota/webhook-secret')).body.webhook_secret, a.body.webhook_secret);
  const rot = await s.json('POST', '/v1/phota/webhook-secret/rotate');
  assert.notEqual(rot.body.webhook_secret, a.body.webhook_secret);
  assert.equal((await s.json('GET', '/v1/phota/webhook-secret')).body.webhook_secret, rot.body.webhook_secret);
  const other = await s.newAccount();
  const theirs = await s.json('GET', '/v1/phota/webhook-secret', undefined, { 'X-API-Key': other.key });
  assert.notEqual(theirs.body.webhook_secret, rot.body.webhook_secret);

  assert.equal((await s.json('PUT', '/v1/phota/webhook', { url: 'http://127.0.0.1:9/hook' })).status, 200);
  assert.equal((await s.json('GET', '/v1/phota/webhook')).body.url, 'http://127.0.0.1:9/hook');
  assert422(await s.json('PUT', '/v1/phota/webhook', { url: 'not a url' }), ['body', 'url']);
  assert.equal((await s.json('DELETE', '/v1/phota/webhook')).body.url, null);
});

test('jobs: unknown id is 404 NOT_FOUND', async () => {
  assertError(await s.json('GET', '/v1/phota/jobs/job_doesnotexist'), 404, 'NOT_FOUND');
});

test('a repeated query parameter takes its last value (FastAPI behaviour)', async () => {
  await s.json('POST', '/v1/phota/profiles/add', { image_urls: Array(5).fill('http://127.0.0.1:9/x.jpg'), training_tier: 'fast', tag: 'last-b' });
  const r = await s.json('GET', '/v1/phota/profiles/ids?tag=last-a&tag=last-b');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.profiles.length, 1);
});
