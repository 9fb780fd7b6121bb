// Which of a profile's reference photos go to the base model, in what order (pure). Training
// already keeps the sharpest, most varied photos, best first; for the model the order is then
// a frontal view first, a three-quarter view second (models keep a likeness better from two
// angles than from one), the rest as training ranked them. A reference whose face is small in
// the frame also goes as a face crop, ahead of the photo: the face is what must be preserved,
// and in a wide shot it is a few dozen pixels of the model's input.
import type { Box } from '../identity/types.js';

/** The subject's face in one stored reference photo (null: not found there). */
export interface ReferenceFace {
  box: Box;
  yaw: number;
  pitch: number;
  /** Size of the analysed image the box refers to. */
  width: number;
  height: number;
}

export interface ReferenceItem {
  /** Index into the profile's stored reference photos. */
  photo: number;
  /** True: a square crop around the face of that photo, not the photo itself. */
  crop: boolean;
}

/** A face smaller than this share of the photo's shorter side also goes as a crop. */
export const SMALL_FACE_SHARE = 0.3;
/** The three-quarter view sought, degrees of yaw, and the range accepted as one. */
const THREE_QUARTER = { ideal: 30, min: 15, max: 50 };

export function isSmallFace(f: ReferenceFace): boolean {
  return Math.max(f.box[2], f.box[3]) < SMALL_FACE_SHARE * Math.min(f.width, f.height);
}

/** Photo order for the model: frontal, three-quarter, then training's order; crops ahead of small-face photos. */
export function arrangeReferences(faces: ReadonlyArray<ReferenceFace | null>): ReferenceItem[] {
  const order: number[] = [];
  const known = faces.map((f, i) => ({ f, i })).filter((x): x is { f: ReferenceFace; i: number } => x.f !== null);
  if (known.length > 0) {
    const frontal = known.reduce((a, b) => (Math.abs(b.f.yaw) + Math.abs(b.f.pitch) / 2 < Math.abs(a.f.yaw) + Math.abs(a.f.pitch) / 2 ? b : a));
    order.push(frontal.i);
    const turned = known.filter((x) => x.i !== frontal.i && Math.abs(x.f.yaw) >= THREE_QUARTER.min && Math.abs(x.f.yaw) <= THREE_QUARTER.max);
    if (turned.length > 0) {
      const tq = turned.reduce((a, b) => (Math.abs(Math.abs(b.f.yaw) - THREE_QUARTER.ideal) < Math.abs(Math.abs(a.f.yaw) - THREE_QUARTER.ideal) ? b : a));
      order.push(tq.i);
    }
  }
  for (let i = 0; i < faces.length; i++) if (!order.includes(i)) order.push(i);
  const items: ReferenceItem[] = [];
  for (const i of order) {
    const f = faces[i];
    if (f && isSmallFace(f)) items.push({ photo: i, crop: true });
    items.push({ photo: i, crop: false });
  }
  return items;
}
