// The prompt side of the identity layer (pure): find `[[profile_id]]` references, merge
// them into the candidate list, decide which reference photos ride along within the base
// model's input limit, and rewrite each reference into a neutral phrase that points at
// those photos — base models know nothing about Likeness profile ids.
import { ApiError } from '../errors.js';

const REF = /\[\[([^\[\]]+)\]\]/g;

/** Profile ids referenced as `[[id]]`, in order of first appearance, without duplicates. */
export function parseProfileRefs(prompt: string | null | undefined): string[] {
  if (!prompt) return [];
  const out: string[] = [];
  for (const m of prompt.matchAll(REF)) {
    const id = m[1].trim();
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** `profile_ids` first, then inline references not already listed (decisions #12). */
export function mergeCandidates(profileIds: readonly string[] | null | undefined, refs: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of [...(profileIds ?? []), ...refs]) if (!out.includes(id)) out.push(id);
  return out;
}

/** "2" / "2 and 3" / "2, 3 and 4". */
function listIndices(ix: readonly number[]): string {
  if (ix.length === 1) return String(ix[0]);
  return `${ix.slice(0, -1).join(', ')} and ${ix[ix.length - 1]}`;
}

/** Who a profile is of (identity/types.ts SubjectKind): the noun a base model is told. */
export type SubjectNoun = 'person' | 'cat' | 'dog';

/**
 * The neutral phrase for one profile given the 1-based positions of its attached photos:
 * "the person shown in reference image 2", "the dog shown in reference images 2 and 3".
 */
export function referencePhrase(imageIndices: readonly number[] | undefined, subject: SubjectNoun = 'person'): string {
  if (!imageIndices || imageIndices.length === 0) return `the ${subject}`;
  const noun = imageIndices.length === 1 ? 'reference image' : 'reference images';
  return `the ${subject} shown in ${noun} ${listIndices(imageIndices)}`;
}

/**
 * Replaces every `[[id]]` with a phrase pointing at that profile's attached photos
 * (`refToImageIndex`: id → 1-based positions in the provider's image list; `subjects`: id →
 * person, cat or dog, person when absent).
 */
export function rewritePrompt(
  prompt: string,
  refToImageIndex: ReadonlyMap<string, readonly number[]>,
  subjects: ReadonlyMap<string, SubjectNoun> = new Map(),
): string {
  return prompt.replace(REF, (_whole, raw: string) => referencePhrase(refToImageIndex.get(raw.trim()), subjects.get(raw.trim())));
}

/**
 * The sentences that tell a base model to keep each referenced subject as in its photos.
 * People keep their face; a cat or dog keeps its coat, markings and face (a model told only
 * "the dog" draws a generic dog of the breed). `named`: profiles the prompt itself names (their
 * phrase is in the prompt already); `hasInputs`: the request brought photos of its own, so
 * the subjects present in them are meant.
 */
export function identityInstructions(
  refToImageIndex: ReadonlyMap<string, readonly number[]>,
  subjects: ReadonlyMap<string, SubjectNoun>,
  named: readonly string[],
  hasInputs: boolean,
): string[] {
  const parts: string[] = [];
  const kindOf = (id: string) => subjects.get(id) ?? 'person';
  const unnamed = [...refToImageIndex.entries()].filter(([id]) => !named.includes(id));
  const people = unnamed.filter(([id]) => kindOf(id) === 'person');
  if (people.length && hasInputs) {
    const list = people.map(([, idx]) => idx.join(', ')).join('; ');
    parts.push(`Keep every person's face identical to their reference photos (images ${list}).`);
  }
  for (const [id, idx] of unnamed) {
    const kind = kindOf(id);
    if (kind === 'person') continue;
    parts.push(`Keep the ${kind} identical to ${referencePhrase(idx, kind)}.`);
  }
  if ([...refToImageIndex.keys()].some((id) => kindOf(id) === 'person')) parts.push("Preserve each referenced person's exact facial identity.");
  const pets = [...new Set([...refToImageIndex.keys()].map(kindOf).filter((k) => k !== 'person'))];
  if (pets.length) {
    const who = pets.length === 1 ? `referenced ${pets[0]}` : 'referenced animal';
    parts.push(`Keep each ${who}'s exact coat colour, markings, face and build: the same individual animal, not another of its breed.`);
  }
  return parts;
}

export interface ReferencedProfile {
  id: string;
  /** Reference photos available, best first. */
  referenceCount: number;
}

export interface ReferencePlan {
  /** Per attached reference photo, in attachment order (after the user's inputs). */
  attachments: Array<{ profileId: string; referenceIndex: number }>;
  /** Profile id → 1-based positions of its photos in the full image list. */
  refToImageIndex: Map<string, number[]>;
  /** Inputs + attachments. */
  totalImages: number;
}

/**
 * Chooses the reference photos to attach. The user's input images come first and always
 * go; the remaining slots are dealt round-robin over the referenced profiles (in order),
 * best photo first, so every profile gets one before any gets two. A profile's photos are
 * attached next to each other so the prompt can say "reference images 2 and 3".
 * Throws 400 INVALID_REQUEST when the inputs alone exceed the model's limit.
 */
export function planReferences(args: {
  inputImageCount: number;
  profiles: readonly ReferencedProfile[];
  maxInputImages: number;
  /** Optional cap per profile (e.g. 3: more photos of one face add little). */
  maxPerProfile?: number;
  modelId?: string;
}): ReferencePlan {
  const { inputImageCount, profiles, maxInputImages } = args;
  if (inputImageCount > maxInputImages) {
    throw new ApiError(
      400,
      'INVALID_REQUEST',
      `Base model ${args.modelId ?? ''} accepts at most ${maxInputImages} input image${maxInputImages === 1 ? '' : 's'}; got ${inputImageCount}.`.replace('  ', ' '),
    );
  }
  const cap = args.maxPerProfile ?? Infinity;
  const unique = profiles.filter((p, i) => profiles.findIndex((q) => q.id === p.id) === i);
  const counts = new Map<string, number>(unique.map((p) => [p.id, 0]));
  let free = maxInputImages - inputImageCount;
  for (let progressed = true; free > 0 && progressed; ) {
    progressed = false;
    for (const p of unique) {
      if (free === 0) break;
      const c = counts.get(p.id)!;
      if (c < Math.min(p.referenceCount, cap)) {
        counts.set(p.id, c + 1);
        free--;
        progressed = true;
      }
    }
  }
  const attachments: ReferencePlan['attachments'] = [];
  const refToImageIndex = new Map<string, number[]>();
  let position = inputImageCount;
  for (const p of unique) {
    const n = counts.get(p.id)!;
    const ix: number[] = [];
    for (let k = 0; k < n; k++) {
      attachments.push({ profileId: p.id, referenceIndex: k });
      ix.push(++position);
    }
    if (n > 0) refToImageIndex.set(p.id, ix);
  }
  return { attachments, refToImageIndex, totalImages: position };
}

/** Where a face sits across the image, in words a base model follows ("the person on the left"). */
export function facePosition(box: readonly [number, number, number, number], imageWidth: number): string {
  const cx = (box[0] + box[2] / 2) / Math.max(1, imageWidth);
  return cx < 1 / 3 ? 'on the left' : cx > 2 / 3 ? 'on the right' : 'in the middle';
}

/**
 * The instruction of a repair edit: image 1 is the candidate, the reference photos follow.
 * `targets`: per face to fix, its position in image 1 (null when it is the only person) and
 * the 1-based positions of that person's reference photos.
 */
export function repairPrompt(targets: ReadonlyArray<{ position: string | null; imageIndices: readonly number[] }>): string {
  const parts = targets.map((t) => {
    const who = t.position ? `the person ${t.position} in image 1` : 'the person in image 1';
    return `make the face of ${who} match ${referencePhrase(t.imageIndices)}`;
  });
  const joined = parts.join('; ');
  return `${joined[0].toUpperCase()}${joined.slice(1)}. Change nothing else: same scene, pose, expression, clothing, lighting and framing.`;
}
