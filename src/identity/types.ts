// Shared shapes of the identity engine. The runtime (models in a worker pool) produces
// FaceObservations; the pure logic (screening, clustering, matching, training) consumes them.

/** [x, y, width, height] in pixels of the analysed image. */
export type Box = [number, number, number, number];

export interface FaceObservation {
  box: Box;
  /** Detector confidence 0..1. */
  score: number;
  /** L2-normalised face embedding (128-d FaceRecognitionNet in the hybrid engine). */
  embedding: number[];
  /** Head pose in degrees (0,0,0 = frontal). */
  pose: { yaw: number; pitch: number; roll: number };
  /** Sharpness measured on the face crop (variance of the Laplacian on a normalised-size crop). */
  sharpness: number;
  /**
   * Blur of the face in pixels (Gaussian sigma of its strongest edges, worst direction), measured
   * at the face's own size or at most at 256 px (quality-metrics.ts faceBlur). Sharp ≈ 0.6–1.2.
   */
  blur: number;
  /** Mean luma of the face crop, 0..255. */
  brightness: number;
  /** Fraction of clipped (near 0 or near 255) pixels in the face crop, 0..1. */
  clipped: number;
  /** Anti-spoof / liveness "real face" score 0..1, null when the model gave none. */
  real: number | null;
  /** Landmark/mesh confidence proxy for occlusion 0..1 (lower = more occluded), null if unknown. */
  visibility: number | null;
}

export interface ImageAnalysis {
  width: number;
  height: number;
  faces: FaceObservation[];
}

/** What a profile stores once trained (JSON in the profile record). */
export interface ProfileModel {
  version: 1;
  embeddings: number[][];
  centroid: number[];
  /** Cosine threshold for face-vs-centroid matches. */
  threshold: number;
  /** Indices (into the submitted image_urls) of the photos kept as references, best first. */
  referencePhotos: number[];
  /** Index of the photo the profile picture comes from, and the face box in it. */
  picture: { photo: number; box: Box };
}

/** The engine as the rest of the product sees it: runs models off the HTTP event loop. */
export interface IdentityEngine {
  /** Detects, measures and embeds every face. `image` is any format sharp decodes. */
  analyze(image: Buffer): Promise<ImageAnalysis>;
  close(): Promise<void>;
}
