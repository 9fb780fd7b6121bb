// Loads a profile's reference photos arranged for a base model (references.ts decides the
// order and the crops). Where the subject's face is in each photo is measured once per profile
// and kept next to the photos (profiles/<id>/reference-faces.json; removed with the profile).
import sharp from 'sharp';
import type { BlobStore } from '../blobs/types.js';
import type { ProfileRecord } from '../store/types.js';
import type { IdentityEngine, ProfileModel } from '../identity/types.js';
import { referencePhotos, profilePrefix } from '../profiles/pipeline.js';
import { cosine } from '../identity/vectors.js';
import { arrangeReferences, type ReferenceFace } from './references.js';

const facesKey = (id: string) => `${profilePrefix(id)}reference-faces.json`;
/** Side of a face crop sent as a reference, in pixels (never enlarged). */
const CROP_SIZE = 768;
/** Margin around the face box in a crop, as a share of the box (hair and jaw matter). */
const CROP_MARGIN = 0.6;

async function referenceFaces(blobs: BlobStore, engine: () => Promise<IdentityEngine>, p: ProfileRecord, photos: Buffer[]): Promise<Array<ReferenceFace | null>> {
  const cached = await blobs.get(facesKey(p.id));
  if (cached) {
    try {
      const faces = JSON.parse(cached.toString('utf8')) as Array<ReferenceFace | null>;
      if (Array.isArray(faces) && faces.length === photos.length) return faces;
    } catch {
      // unreadable: measured again below
    }
  }
  const model = p.model as ProfileModel;
  const eng = await engine();
  const faces: Array<ReferenceFace | null> = [];
  for (const photo of photos) {
    const a = await eng.analyze(photo);
    // The subject is the face nearest the profile (a reference photo may be a group photo).
    const best = a.faces.reduce<{ sim: number; f: (typeof a.faces)[0] | null }>((m, f) => {
      const sim = cosine(f.embedding, model.centroid);
      return sim > m.sim ? { sim, f } : m;
    }, { sim: -1, f: null });
    faces.push(best.f ? { box: best.f.box, yaw: best.f.pose.yaw, pitch: best.f.pose.pitch, width: a.width, height: a.height } : null);
  }
  await blobs.put(facesKey(p.id), Buffer.from(JSON.stringify(faces)), 'application/json');
  return faces;
}

async function faceCrop(photo: Buffer, f: ReferenceFace): Promise<Buffer> {
  const img = sharp(photo).rotate();
  const meta = await sharp(photo).metadata();
  const swap = (meta.orientation ?? 1) >= 5;
  const W = (swap ? meta.height : meta.width) ?? f.width;
  const H = (swap ? meta.width : meta.height) ?? f.height;
  const sx = W / f.width;
  const sy = H / f.height;
  const [x, y, w, h] = [f.box[0] * sx, f.box[1] * sy, f.box[2] * sx, f.box[3] * sy];
  const side = Math.min(W, H, Math.max(w, h) * (1 + 2 * CROP_MARGIN));
  const left = Math.round(Math.min(Math.max(0, x + w / 2 - side / 2), W - side));
  const top = Math.round(Math.min(Math.max(0, y + h / 2 - side / 2), H - side));
  const s = Math.max(1, Math.floor(Math.min(side, W - left, H - top)));
  return img.extract({ left, top, width: s, height: s }).resize({ width: CROP_SIZE, height: CROP_SIZE, withoutEnlargement: true }).jpeg({ quality: 92 }).toBuffer();
}

/** The profile's reference images for a base model, in the order they should be attached. */
export async function arrangedReferencePhotos(blobs: BlobStore, engine: () => Promise<IdentityEngine>, p: ProfileRecord): Promise<Buffer[]> {
  const photos = await referencePhotos(blobs, p);
  if (photos.length === 0) return [];
  const faces = await referenceFaces(blobs, engine, p, photos);
  const out: Buffer[] = [];
  for (const item of arrangeReferences(faces)) {
    const f = faces[item.photo];
    out.push(item.crop && f ? await faceCrop(photos[item.photo], f) : photos[item.photo]);
  }
  return out;
}
