// Pure product logic for pets: the face veto, which kind of subject a set is of, the animal
// profile decision and its reasons, recognition within a species, studio prompt phrases and
// the enhance guard's animal count. Hand-made observations (test/identity/synthetic.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignSubjects, comparableTo, recognizeAnalysis, type Candidate } from '../../src/identity/recognize.js';
import { REASONS } from '../../src/identity/screen.js';
import { PET_REASONS, screenAnimal } from '../../src/identity/pets/screen.js';
import { chooseSubjectKind, peel, type AnimalCuts } from '../../src/identity/pets/subject.js';
import { animalsOutsideFaces, humanFaces, insideShare, vetoFace } from '../../src/identity/pets/veto.js';
import { chooseTrainingSubject, decideProfile, photosForFullPetAnalysis, type DetectionPhotoInput, type PhotoInput } from '../../src/identity/train.js';
import type { AnimalKind, AnimalObservation, Box, DetectionAnalysis, ImageAnalysis, ProfileModel } from '../../src/identity/types.js';
import { centroid } from '../../src/identity/vectors.js';
import { animalsKept } from '../../src/studio/enhance.js';
import { identityInstructions, referencePhrase, rewritePrompt } from '../../src/studio/prompt.js';
import { World, face } from './synthetic.js';

const PET_DIM = 64;
/** Cuts that suit the synthetic world (same animal ≈ 0.99, another ≈ 0.9). */
const CUTS: AnimalCuts = { cluster: 0.95, admit: 0.95, match: () => 0.95 };
const opts = { animalCuts: { cat: CUTS, dog: CUTS } };

function animal(kind: AnimalKind, embedding: number[], over: Partial<AnimalObservation> = {}): AnimalObservation {
  return { kind, box: [50, 40, 300, 260] as Box, score: 0.8, embedding, sharpness: 200, brightness: 120, ...over };
}
const photo = (over: Partial<ImageAnalysis> = {}): ImageAnalysis => ({ width: 640, height: 480, faces: [], animals: [], ...over });
const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://example.test/${i}.jpg`);

test('the face veto: a face inside a cat or dog is its head unless a person box holds it', () => {
  const dogHead = face(new World(1).embed('x'), { box: [120, 60, 100, 100] as Box });
  const dog = animal('dog', [1], { box: [50, 40, 300, 260] as Box });
  assert.equal(insideShare(dogHead.box, dog.box), 1);
  assert.equal(vetoFace(dogHead, photo({ faces: [dogHead], animals: [dog] })).vetoed, true);
  // A person holding the dog: the object detector's person box is around the face.
  const withPerson = photo({ faces: [dogHead], animals: [dog], persons: [{ box: [80, 0, 300, 480] as Box, score: 0.9 }] });
  assert.equal(vetoFace(dogHead, withPerson).vetoed, false);
  // A face beside the animal stays.
  const beside = face(new World(1).embed('y'), { box: [400, 60, 120, 140] as Box });
  assert.deepEqual(humanFaces(photo({ faces: [dogHead, beside], animals: [dog] })), [beside]);
  // Without animals nothing is vetoed.
  assert.deepEqual(humanFaces(photo({ faces: [dogHead] })), [dogHead]);
});

test('animalsOutsideFaces: a "cat" inside a human face is part of the face misread; a real pet stays', () => {
  // As measured on a JPEG q15 portrait: a 49×23 "cat" (score 0.24) over an eye of a 214×243 face.
  const personFace = face(new World(1).embed('x'), { box: [22, 6, 214, 243] as Box });
  const falseCat = animal('cat', [1], { box: [54, 76, 49, 23] as Box, score: 0.24 });
  const realDog = animal('dog', [1], { box: [300, 200, 200, 250] as Box });
  assert.deepEqual(animalsOutsideFaces(photo({ faces: [personFace], animals: [falseCat, realDog] })), [realDog]);
  // A dog's head the face detector fired on is the dog's (the veto), so the dog stays.
  const dogHead = face(new World(1).embed('y'), { box: [340, 220, 100, 100] as Box });
  assert.deepEqual(animalsOutsideFaces(photo({ faces: [dogHead], animals: [realDog] })), [realDog]);
  // No faces: every animal stays.
  assert.deepEqual(animalsOutsideFaces(photo({ animals: [falseCat, realDog] })), [falseCat, realDog]);
});

test('chooseSubjectKind: the person who appears most often against photos of each species', () => {
  const faces = new World(2);
  const pets = new World(3, 3, 0.35);
  const cat = (n: string) => animal('cat', pets.embed(n).slice(0, PET_DIM));
  const catSet = [...Array.from({ length: 7 }, () => photo({ animals: [cat('tom')] })), ...Array.from({ length: 3 }, () => photo({ faces: [face(faces.embed('ann'))] }))];
  assert.equal(chooseSubjectKind(catSet).kind, 'cat');
  const personSet = [...Array.from({ length: 7 }, () => photo({ faces: [face(faces.embed('ann'))] })), ...Array.from({ length: 3 }, () => photo({ animals: [cat('tom')] }))];
  assert.equal(chooseSubjectKind(personSet).kind, 'person');
  // Six strangers do not outvote five photos of a cat: the person count is the largest cluster.
  const strangers = [...Array.from({ length: 6 }, (_, i) => photo({ faces: [face(faces.embed(`s${i}`))] })), ...Array.from({ length: 5 }, () => photo({ animals: [cat('tom')] }))];
  assert.equal(chooseSubjectKind(strangers).kind, 'cat');
  // Blurry photos of a person are still about that person (refused for blur, not taken for a pet).
  const blurry = [...Array.from({ length: 9 }, () => photo({ faces: [face(faces.embed('ann'), { sharpness: 5 })] })), photo({ animals: [cat('tom')] })];
  assert.equal(chooseSubjectKind(blurry).kind, 'person');
  const tie = chooseSubjectKind([...Array.from({ length: 5 }, () => photo({ faces: [face(faces.embed('ann'))] })), ...Array.from({ length: 5 }, () => photo({ animals: [cat('tom')] }))]);
  assert.equal(tie.kind, null);
  assert.deepEqual(tie.tied, ['person', 'cat']);
  assert.deepEqual(chooseSubjectKind([photo(), { failed: 'fetch' }]), { kind: null, counts: { person: 0, cat: 0, dog: 0 }, tied: [] });
});

test('peel keeps the largest consistent group, one animal per photo', () => {
  const w = new World(4);
  const items = [
    ...Array.from({ length: 6 }, (_, i) => ({ photo: i, embedding: w.embed('tom') })),
    ...Array.from({ length: 3 }, (_, i) => ({ photo: 6 + i, embedding: w.embed(`other${i}`) })),
    { photo: 0, embedding: w.embed('kit') }, // a second cat in photo 0
  ];
  const [kept, dropped] = peel(items, 0.95);
  assert.deepEqual(kept.map((k) => k.photo), [0, 1, 2, 3, 4, 5]);
  assert.equal(dropped.length, 4);
  assert.ok(kept.every((k) => items.indexOf(k) < 6));
});

test('a cat profile: 7 photos of one cat, 3 of another cat and a person; READY with subject cat, others refused with reasons', () => {
  const w = new World(5);
  const fw = new World(6);
  const tom = () => animal('cat', w.embed('tom'));
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 7 }, (_, i) => photo({ animals: [{ ...tom(), box: [10 * i, 40, 300, 260] as Box, sharpness: 100 + i * 30 }] })),
    photo({ animals: [animal('cat', w.embed('kit'))] }),
    photo({ animals: [animal('cat', w.embed('max'))] }),
    photo({ faces: [face(fw.embed('ann'))] }),
    photo(), // nothing at all
    photo({ animals: [animal('dog', w.embed('rex'))] }),
    photo({ animals: [{ ...tom(), box: [0, 0, 40, 30] as Box }] }), // too small
    { failed: 'fetch' },
  ];
  const d = decideProfile(urls(inputs.length), inputs, 'standard', opts);
  assert.ok(d.ok, !d.ok ? d.message : '');
  assert.equal(d.model.subject, 'cat');
  assert.deepEqual(
    d.reports.map((r) => r.accepted),
    [true, true, true, true, true, true, true, false, false, false, false, false, false, false],
  );
  assert.deepEqual(d.reports[7].reasons, [PET_REASONS.someoneElse]);
  assert.deepEqual(d.reports[8].reasons, [PET_REASONS.someoneElse]);
  assert.deepEqual(d.reports[9].reasons, [PET_REASONS.someoneElse]);
  assert.deepEqual(d.reports[10].reasons, [PET_REASONS.noAnimal]);
  assert.deepEqual(d.reports[11].reasons, [PET_REASONS.otherSpecies]);
  assert.deepEqual(d.reports[12].reasons, [PET_REASONS.tooSmall]);
  assert.deepEqual(d.reports[13].reasons, [REASONS.fetch]);
  assert.equal(d.model.embeddings.length, 7);
  assert.equal(d.model.embeddings[0].length, w.embed('tom').length);
  assert.equal(d.model.threshold, 0.95);
  // The sharpest photo is the best reference and the picture, boxed on the animal.
  assert.equal(d.model.referencePhotos[0], 6);
  assert.deepEqual(d.model.picture, { photo: 6, box: [60, 40, 300, 260] });
});

test('a dog whose head the face detector took for a face becomes a dog profile, never a person', () => {
  const w = new World(7);
  const fw = new World(8);
  // The same degenerate "face" embedding on every dog head: unvetoed, it would be a person in 5 photos.
  const fake = fw.embed('dog-head');
  const inputs: PhotoInput[] = Array.from({ length: 5 }, () =>
    photo({ faces: [face(fake, { box: [100, 80, 120, 120] as Box })], animals: [animal('dog', w.embed('rex'))] }),
  );
  const d = decideProfile(urls(5), inputs, 'fast', opts);
  assert.ok(d.ok, !d.ok ? d.message : '');
  assert.equal(d.model.subject, 'dog');
  assert.ok(d.model.embeddings.every((e) => e.length !== fake.length || e !== fake));
});

test('people profiles are unchanged and say so; a person and a cat equally often is refused', () => {
  const fw = new World(9);
  const people = Array.from({ length: 10 }, () => photo({ faces: [face(fw.embed('ann'))] }));
  const d = decideProfile(urls(10), people, 'standard', opts);
  assert.ok(d.ok);
  assert.equal(d.model.subject, 'person');
  const w = new World(10);
  const tie: PhotoInput[] = [...Array.from({ length: 5 }, () => photo({ faces: [face(fw.embed('ann'))] })), ...Array.from({ length: 5 }, () => photo({ animals: [animal('cat', w.embed('tom'))] }))];
  const t = decideProfile(urls(10), tie, 'standard', opts);
  assert.equal(t.ok, false);
  if (!t.ok) {
    assert.match(t.message, /A person and a cat appear equally often/);
    assert.ok(t.reports.every((r) => !r.accepted && r.reasons[0] === PET_REASONS.kindTie));
  }
});

test('two cats equally often: refused as ambiguous; too few photos of the cat: refused with the count', () => {
  const w = new World(11);
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 5 }, () => photo({ animals: [animal('cat', w.embed('tom'))] })),
    ...Array.from({ length: 5 }, () => photo({ animals: [animal('cat', w.embed('kit'))] })),
  ];
  const d = decideProfile(urls(10), inputs, 'standard', opts);
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.message, /No single cat appears most often/);
    assert.equal(d.subject, 'cat');
    assert.ok(d.reports.every((r) => r.reasons[0] === PET_REASONS.ambiguous));
  }
  const few: PhotoInput[] = [
    ...Array.from({ length: 3 }, () => photo({ animals: [animal('cat', w.embed('tom'))] })),
    ...Array.from({ length: 2 }, () => photo({ animals: [animal('cat', w.embed('tom'), { sharpness: 1 })] })),
  ];
  const f = decideProfile(urls(5), few, 'fast', opts);
  assert.equal(f.ok, false);
  if (!f.ok) {
    assert.match(f.message, /Only 3 of 5 photos show the same cat clearly enough; fast training needs at least 4/);
    assert.deepEqual(f.reports[3].reasons, [PET_REASONS.blurry]);
  }
});

test('animal screening: size, exposure and blur reasons', () => {
  assert.deepEqual(screenAnimal(animal('cat', [1])), { accepted: true, reasons: [] });
  assert.deepEqual(screenAnimal(animal('cat', [1], { box: [0, 0, 60, 50] })).reasons, [PET_REASONS.tooSmall]);
  assert.deepEqual(screenAnimal(animal('cat', [1], { brightness: 10 })).reasons, [PET_REASONS.tooDark]);
  assert.deepEqual(screenAnimal(animal('cat', [1], { brightness: 250 })).reasons, [PET_REASONS.tooBright]);
  assert.deepEqual(screenAnimal(animal('cat', [1], { sharpness: 2 })).reasons, [PET_REASONS.blurry]);
  // A dark but sharp crop is not blurry (sharpness is compensated for exposure, as for faces).
  assert.deepEqual(screenAnimal(animal('cat', [1], { brightness: 40, sharpness: 8 })).reasons, []);
});

test('recognition stays within a species: a person never matches a pet, a dog never a cat', () => {
  const w = new World(12);
  const tom = Array.from({ length: 5 }, () => w.embed('tom'));
  const catModel: ProfileModel = { version: 1, subject: 'cat', embeddings: tom, centroid: centroid(tom), threshold: 0.95, referencePhotos: [0], picture: { photo: 0, box: [0, 0, 1, 1] } };
  const ann = Array.from({ length: 5 }, () => w.embed('ann'));
  const annModel: ProfileModel = { version: 1, embeddings: ann, centroid: centroid(ann), threshold: 0.95, referencePhotos: [0], picture: { photo: 0, box: [0, 0, 1, 1] } };
  const candidates: Candidate[] = [
    { profileId: 'cat1', model: catModel },
    { profileId: 'ann1', model: annModel },
  ];
  const tomNow = w.embed('tom');
  // The same vector as a face, as a dog and as a cat: only the cat is the cat profile.
  const r = assignSubjects(
    [
      { kind: 'person', box: [0, 0, 10, 10], embedding: tomNow },
      { kind: 'dog', box: [10, 0, 10, 10], embedding: tomNow },
      { kind: 'cat', box: [20, 0, 10, 10], embedding: tomNow },
      { kind: 'person', box: [30, 0, 10, 10], embedding: w.embed('ann') },
    ],
    candidates,
  );
  assert.deepEqual(
    r.map((x) => [x.kind, x.profileId]),
    [
      ['person', null],
      ['dog', null],
      ['cat', 'cat1'],
      ['person', 'ann1'],
    ],
  );
  assert.equal(r[1].similarity, 0); // no dog candidates at all
  assert.ok(r[0].similarity < 0.95 && r[0].similarity > 0);
  // From an analysis: the vetoed dog head is not a face; two cats, one profile: one match.
  const analysis = photo({
    faces: [face(w.embed('ann'), { box: [100, 100, 80, 80] as Box })],
    animals: [animal('dog', w.embed('tom'), { box: [50, 50, 300, 300] as Box }), animal('cat', tomNow, { box: [400, 0, 200, 200] as Box }), animal('cat', w.embed('tom'), { box: [0, 300, 100, 100] as Box })],
  });
  const rr = recognizeAnalysis(analysis, candidates);
  assert.deepEqual(rr.map((x) => x.kind), ['dog', 'cat', 'cat']);
  assert.equal(rr.filter((x) => x.profileId === 'cat1').length, 1);
  // An embedding of another size (a profile made by another head) never matches, never throws.
  assert.equal(assignSubjects([{ kind: 'cat', box: [0, 0, 1, 1], embedding: [1, 0] }], candidates)[0].profileId, null);
});

test('a pet profile remembers the head that embedded it; photos embedded by another head never match it', () => {
  const w = new World(21);
  const tom = (embedder?: string) => animal('cat', w.embed('tom'), embedder ? { embedder } : {});
  const inputs: PhotoInput[] = Array.from({ length: 7 }, (_, i) => photo({ animals: [{ ...tom('cat:aaaa'), box: [10 * i, 40, 300, 260] as Box }] }));
  const d = decideProfile(urls(inputs.length), inputs, 'standard', opts);
  assert.ok(d.ok, !d.ok ? d.message : '');
  assert.equal(d.model.embedder, 'cat:aaaa');
  const candidates: Candidate[] = [{ profileId: 'tom', model: d.model }];
  const seen = (embedder?: string) => recognizeAnalysis(photo({ animals: [tom(embedder)] }), candidates)[0];
  assert.equal(seen('cat:aaaa').profileId, 'tom');
  // Same size, same animal, but a new head: not comparable, so no match and similarity 0.
  const other = seen('cat:bbbb');
  assert.equal(other.profileId, null);
  assert.equal(other.similarity, 0);
  // Unmarked analyses or profiles (made before heads were marked) are compared as before.
  assert.equal(seen().profileId, 'tom');
  const { embedder: _e, ...unmarked } = d.model;
  assert.equal(recognizeAnalysis(photo({ animals: [tom('cat:bbbb')] }), [{ profileId: 'old', model: unmarked }])[0].profileId, 'old');
  assert.equal(comparableTo({ kind: 'dog', box: [0, 0, 1, 1], embedding: d.model.centroid, embedder: 'cat:aaaa' }, d.model), false, 'never across species');
});

test('studio phrases name the animal and ask for the individual', () => {
  assert.equal(referencePhrase([2, 3], 'dog'), 'the dog shown in reference images 2 and 3');
  assert.equal(referencePhrase(undefined, 'cat'), 'the cat');
  const refs = new Map([
    ['d1', [2, 3]],
    ['p1', [4]],
  ]);
  const subjects = new Map([['d1', 'dog' as const]]);
  assert.equal(rewritePrompt('[[d1]] on a beach with [[p1]]', refs, subjects), 'the dog shown in reference images 2 and 3 on a beach with the person shown in reference image 4');
  const named = identityInstructions(refs, subjects, ['d1', 'p1'], false);
  assert.deepEqual(named, [
    "Preserve each referenced person's exact facial identity.",
    "Keep each referenced dog's exact coat colour, markings, face and build: the same individual animal, not another of its breed.",
  ]);
  const unnamed = identityInstructions(refs, subjects, [], true);
  assert.ok(unnamed.includes('Keep the dog identical to the dog shown in reference images 2 and 3.'));
  assert.ok(unnamed.includes("Keep every person's face identical to their reference photos (images 4)."));
});

test('the enhance guard counts the animals that are still themselves', () => {
  const w = new World(13);
  const tom = w.embed('tom');
  const rex = w.embed('rex');
  const input = [animal('cat', tom), animal('dog', rex)];
  const cut = () => 0.95;
  assert.equal(animalsKept(input, [animal('cat', tom), animal('dog', rex)], cut), 2);
  assert.equal(animalsKept(input, [animal('cat', tom)], cut), 1);
  assert.equal(animalsKept(input, [animal('dog', tom), animal('cat', rex)], cut), 0);
  assert.equal(animalsKept([], [], cut), 0);
});

// Training's two passes (train.ts trainProfile): the first has animal boxes only (fast
// detector); photos with a cat or dog get the full analysis; a person's set is decided without
// animal embeddings, an animal's never.
const boxesOnly = (a: ImageAnalysis): DetectionAnalysis => ({ ...a, animals: a.animals?.map(({ kind, box, score }) => ({ kind, box, score })) });

test('first pass: the subject and the veto from animal boxes alone, as decideProfile decides them on full analyses', () => {
  const w = new World(21);
  const fw = new World(22);
  const dogHead = (n: string) => face(fw.embed(n), { box: [120, 60, 100, 100] as Box });
  // Five dog photos whose dog heads the face detector took for (one) face: the veto still removes them.
  const dogs: ImageAnalysis[] = Array.from({ length: 5 }, () => photo({ faces: [dogHead('rex-head')], animals: [animal('dog', w.embed('rex'))] }));
  const people: ImageAnalysis[] = Array.from({ length: 3 }, () =>
    photo({ faces: [face(fw.embed('ann'), { box: [400, 60, 120, 140] as Box })], persons: [{ box: [380, 20, 200, 460] as Box, score: 0.9 }] }),
  );
  const full = [...dogs, ...people];
  const first: DetectionPhotoInput[] = full.map(boxesOnly);
  const choice = chooseTrainingSubject(first);
  assert.equal(choice.kind, 'dog');
  assert.deepEqual(choice.counts, { person: 3, cat: 0, dog: 5 });
  // Without the animal boxes (no veto, no dogs) the dog-head faces would make a person of 5 photos.
  assert.equal(chooseTrainingSubject(first.map((a) => ('failed' in a ? a : { ...a, animals: [] }))).kind, 'person');
  // The dog's photos (the photos with animals) get the full analysis in the second pass.
  assert.deepEqual(photosForFullPetAnalysis(first), [0, 1, 2, 3, 4]);
  // A mixed set decided for a person needs no animal embeddings at all.
  const inPerson = { persons: [{ box: [0, 0, 640, 480] as Box, score: 0.9 }] };
  const mixed: DetectionPhotoInput[] = [
    ...Array.from({ length: 7 }, () => boxesOnly(photo({ faces: [face(fw.embed('ann'))], ...inPerson }))),
    ...Array.from({ length: 3 }, () => boxesOnly(photo({ animals: [animal('cat', w.embed('tom'))] }))),
    { failed: 'fetch' },
  ];
  assert.equal(chooseTrainingSubject(mixed).kind, 'person');
  // Only the cat photos get the full analysis; the person's photos are final after the first pass,
  // and the decision needs no animal embeddings either way.
  assert.deepEqual(photosForFullPetAnalysis(mixed), [7, 8, 9]);
  // A face that no person box holds, with no animal found, may be a dog the fast pass missed: full analysis.
  const unexplained = boxesOnly(photo({ faces: [face(fw.embed('ann'))] }));
  assert.deepEqual(photosForFullPetAnalysis([...mixed, unexplained]), [7, 8, 9, 11]);
  const outside = boxesOnly(photo({ faces: [face(fw.embed('ann'), { box: [600, 400, 100, 100] as Box })], ...inPerson }));
  assert.deepEqual(photosForFullPetAnalysis([outside]), [0]);
  // Nothing found at all (no face, no animal): maybe an animal the fast pass missed.
  assert.deepEqual(photosForFullPetAnalysis([boxesOnly(photo()), boxesOnly(photo(inPerson))]), [0, 1]);
  const d = decideProfile(urls(mixed.length), mixed, 'standard', opts);
  assert.equal(d.ok, true);
  assert.equal(d.ok && d.model.subject, 'person');
  assert.deepEqual(d.reports.map((r) => r.reasons[0] ?? 'ok'), [...Array(7).fill('ok'), ...Array(3).fill(REASONS.noFace), REASONS.fetch]);
});

test('second pass: an animal subject decided from boxes only is refused loudly, then decided as before once embedded', () => {
  const w = new World(23);
  const full: ImageAnalysis[] = [
    ...Array.from({ length: 7 }, () => photo({ animals: [animal('cat', w.embed('tom'))] })),
    ...Array.from({ length: 3 }, (_, i) => photo({ animals: [animal('cat', w.embed(`kit${i}`))] })),
  ];
  const first = full.map(boxesOnly);
  assert.throws(() => decideProfile(urls(10), first, 'standard', opts), /lack embeddings/);
  const second = first.map((a, i) => (photosForFullPetAnalysis(first).includes(i) ? full[i] : a));
  assert.deepEqual(decideProfile(urls(10), second, 'standard', opts), decideProfile(urls(10), full as PhotoInput[], 'standard', opts));
  assert.equal(decideProfile(urls(10), second, 'standard', opts).ok, true);
});
