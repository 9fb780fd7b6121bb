// Public surface of imaging: image inputs in, safe fetching, output geometry and encoding.
export {
  loadImageInput,
  normaliseImage,
  parseImageInputString,
  MAX_INPUT_BYTES,
  MAX_INPUT_PIXELS,
  MAX_INPUT_SIDE,
  FETCH_TIMEOUT_MS,
  FETCH_MAX_REDIRECTS,
  type ImageInputOptions,
  type LoadedImage,
} from './input.js';
export {
  safeFetch,
  assertPublicHttpUrl,
  resolveVetted,
  pinnedLookup,
  isForbiddenAddress,
  FetchError,
  type FetchFailureKind,
  type SafeFetchOptions,
  type SafeFetchResult,
} from './fetch.js';
export { outputSize, snapAspect, ASPECT_RATIOS, RESOLUTIONS, type AspectOption, type AspectRatio, type Resolution, type Size } from './geometry.js';
export { fitAndEncode, contentTypeFor, extensionFor, outputFormatOf, sniffFormat, JPEG_QUALITY, PNG_COMPRESSION, type OutputFormat } from './output.js';
export { mimeFor, type ImageFormat } from './format.js';
export { decodeHeic, decodeHeicHere, HeicError, type DecodedRgba } from './heic.js';
export { stopHeicWorker } from './heic-pool.js';
