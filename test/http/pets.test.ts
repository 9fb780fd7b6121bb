// Pets through the API with real photos served on 127.0.0.1 (fixtures: test/fixtures/photos,
// ATTRIBUTION.md): a cat profile and a dog profile train READY with their subject, a mixed set
// picks the right cat, /recognize and /enhance report the pet with its kind, a person never
// matches a pet profile, a dog never a cat profile, and a photo with neither is refused for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, startPhotoServer, fixture, poll, type TestServer } from './harness.js';
import { PET_REASONS } from '../../src/identity/pets/screen.js';

let s: TestServer;
let photos: Awaited<ReturnType<typeof startPhotoServer>>;
before(async () => {
  s = await startTestServer({ LIKENESS_WORKERS: '2' });
  photos = await startPhotoServer();
});
after(async () => {
  await s.close();
  await photos.close();
});

const LEO = ['13', '33', '93', '72', '113', '132', '103'].map((n) => `cat_leo_${n}.jpg`);
const RUDI = ['cat_rudi_123.jpg', 'cat_rudi_153.jpg'];
const REX = ['0', '1', '2', '3', '4'].map((n) => `dogfacenet_1286_${n}.jpg`);
const PERSON = 'caltech_p06_0090.jpg';

async function train(names: string[], tier: 'standard' | 'fast') {
  const add = await s.json('POST', '/v1/phota/profiles/add', { image_urls: names.map((n) => photos.url(n)), training_tier: tier });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  const id: string = add.body.profile_id;
  const final = await poll(async () => {
    const st = await s.json('GET', `/v1/phota/profiles/${id}/status`);
    return st.body.status === 'READY' || st.body.status === 'ERROR' ? st.body : undefined;
  }, 300_000, 200);
  return { id, final };
}

const b64 = async (name: string) => (await fixture(name)).toString('base64');

let cat = '';
let dog = '';
let person = '';

test('a cat profile (fast tier) trains READY with subject cat; a photo with no person and no animal is refused as "no cat or dog"', async () => {
  const { id, final } = await train([...LEO.slice(0, 5), 'coffee.png'], 'fast');
  assert.equal(final.status, 'READY', final.message);
  cat = id;
  assert.equal(final.subject, 'cat');
  assert.deepEqual(
    final.images.map((r: any) => r.accepted),
    [true, true, true, true, true, false],
  );
  assert.deepEqual(final.images[5].reasons, [PET_REASONS.noAnimal]);
  const pic = await s.call('GET', `/v1/phota/profiles/${id}/profile_picture`);
  assert.equal(pic.status, 200);
});

test('a dog profile (fast tier, 5 photos) trains READY with subject dog', async () => {
  const { id, final } = await train(REX, 'fast');
  assert.equal(final.status, 'READY', final.message);
  dog = id;
  assert.equal(final.subject, 'dog');
});

test('a mixed set (7 photos of one cat, 2 of another cat and a person) learns the first cat', async () => {
  const names = [LEO[0], RUDI[0], LEO[1], LEO[2], PERSON, LEO[3], LEO[4], RUDI[1], LEO[5], LEO[6]];
  const { final } = await train(names, 'standard');
  assert.equal(final.status, 'READY', final.message);
  assert.equal(final.subject, 'cat');
  const accepted = final.images.flatMap((r: any, i: number) => (r.accepted ? [names[i]] : []));
  assert.ok(accepted.length >= 5 && accepted.every((n: string) => LEO.includes(n)), JSON.stringify(final.images));
  for (const i of [1, 4, 7]) assert.equal(final.images[i].accepted, false);
  assert.deepEqual(final.images[4].reasons, [PET_REASONS.someoneElse]);
});

test('/recognize reports the cat with kind cat; a dog never matches the cat profile; a person never a pet profile', async () => {
  const people = await train(['0090', '0091', '0092', '0093', '0094'].map((n) => `caltech_p06_${n}.jpg`), 'fast');
  assert.equal(people.final.status, 'READY');
  assert.equal(people.final.subject, 'person');
  person = people.id;

  const r = await s.json('POST', '/v1/phota/recognize', { image: await b64(LEO[0]), profile_ids: [cat, dog, person] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const cats = r.body.faces.filter((f: any) => f.kind === 'cat');
  assert.equal(cats.length >= 1, true, JSON.stringify(r.body));
  assert.equal(cats.filter((f: any) => f.profile_id === cat).length, 1);
  assert.ok(r.body.faces.every((f: any) => f.profile_id !== dog && f.profile_id !== person));

  const d = await s.json('POST', '/v1/phota/recognize', { image: await b64(REX[0]), profile_ids: [cat] });
  assert.equal(d.status, 200);
  assert.ok(d.body.faces.some((f: any) => f.kind === 'dog'), JSON.stringify(d.body));
  assert.ok(d.body.faces.every((f: any) => f.profile_id === null), JSON.stringify(d.body));

  const p = await s.json('POST', '/v1/phota/recognize', { image: await b64('caltech_p06_0100.jpg'), profile_ids: [cat, dog, person] });
  assert.equal(p.status, 200);
  const faces = p.body.faces.filter((f: any) => f.kind === 'person');
  assert.equal(faces.length, 1);
  assert.equal(faces[0].profile_id, person);
  assert.ok(p.body.faces.every((f: any) => f.profile_id !== cat && f.profile_id !== dog));
});

test('/enhance counts the cat in known_subjects with kind cat', async () => {
  const r = await s.json('POST', '/v1/phota/enhance', { image: await b64(LEO[0]), profile_ids: [cat, dog] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.known_subjects.counts, { [cat]: 1 });
  assert.equal(r.body.known_subjects.matches.length, 1);
  assert.equal(r.body.known_subjects.matches[0].kind, 'cat');
  assert.equal(r.body.known_subjects.matches[0].image_index, 0);
});
