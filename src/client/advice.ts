// What a person should do about each reason a training photo was refused (the reasons of
// identity/screen.ts REASONS and identity/pets/screen.ts PET_REASONS). Pure and import-free: the CLI and the web console share it.

const ADVICE: Record<string, string> = {
  'could not be fetched': 'Check the URL opens in a browser (public, not expired), or upload the file instead.',
  'could not be decoded': 'Re-save it as JPEG or PNG; the file may be truncated.',
  'image too large': 'Use a photo under 25 MB and 100 megapixels.',
  'no face': 'Use a photo where the face is clearly visible.',
  'face too small': 'Use a closer photo: the face should be at least ~150 px across.',
  'too dark': 'Use a photo taken in better light.',
  'too bright (blown out)': 'Use a photo without harsh light or overexposure on the face.',
  blurry: 'Use a sharp photo (no motion blur, in focus).',
  'extreme head pose': 'Use a photo facing the camera more directly.',
  'face partly covered': 'Use a photo without sunglasses, masks or hands over the face.',
  'not a real face': 'Use a photograph of the person, not a drawing, screen or print.',
  'someone else': 'This photo shows a different person from most of the set: replace it.',
  'another person appears as often': 'Two people appear equally often: add more photos of the one you mean.',
  'does not look enough like the other photos': 'Replace it with a more typical photo of the person.',
  'same photo as another in the set': 'Remove the duplicate; use a different photo.',
  // Pet profiles (identity/pets/screen.ts PET_REASONS).
  'no cat or dog': 'Use a photo in which the cat or dog is clearly visible.',
  'animal too small': 'Use a closer photo: the animal should fill a good part of the frame.',
  'a different kind of animal': 'This photo shows another species than the rest of the set: replace it.',
  'another animal appears as often': 'Two animals appear equally often: add more photos of the one you mean.',
  'a person and an animal (or a cat and a dog) appear as often': 'Use photos where the one to learn (person or pet) appears in most of them.',
};

/** Advice for a refusal reason; a generic hint for reasons this list does not know. */
export function adviceFor(reason: string): string {
  return ADVICE[reason] ?? 'Replace this photo with a clear, well-lit photo of the same person.';
}
