// Port of a base-model provider. One adapter per API (Gemini, OpenAI Images, fal.ai queue,
// ComfyUI); a registry maps each `base_model` id to a configured adapter.

export type StudioOperation = 'edit' | 'generate' | 'remix' | 'enhance';
export type Resolution = '1K' | '2K' | '4K';
export type AspectRatio = '1:1' | '3:4' | '4:3' | '9:16' | '16:9';
export type Quality = 'auto' | 'low' | 'medium' | 'high';

export interface ModelCapabilities {
  id: string; // base_model id, e.g. "nb2"
  displayName: string;
  operations: StudioOperation[];
  resolutions: Resolution[];
  qualities: Quality[] | null; // null: `quality` not accepted
  maxInputImages: number; // input + reference images per call
  maxOutputsPerCall: number; // candidates one call may return
}

export interface ProviderImage {
  data: Buffer;
  mimeType: string; // image/png, image/jpeg, ...
}

export interface ProviderRequest {
  operation: StudioOperation;
  /** Prompt with every [[id]] already rewritten to a neutral phrase. */
  prompt: string;
  /** User input images first, then profile reference photos. */
  images: ProviderImage[];
  /** How many leading entries of `images` are the user's own inputs (the rest are references). */
  inputImageCount?: number;
  width: number;
  height: number;
  aspectRatio: AspectRatio;
  resolution: Resolution;
  quality: Quality | null;
  /** Candidates wanted from this call (≤ maxOutputsPerCall). */
  n: number;
  seed?: number;
  signal: AbortSignal;
}

export interface ProviderResult {
  images: ProviderImage[];
}

export interface Provider {
  readonly capabilities: ModelCapabilities;
  /** Whether keys/URLs are configured; unconfigured → 503 BASE_MODEL_UNAVAILABLE. */
  readonly configured: boolean;
  /**
   * Throws ApiError: 400 CONTENT_MODERATION when the provider refuses, 503
   * BASE_MODEL_UNAVAILABLE when unreachable, 502/500 mapped errors otherwise.
   */
  generate(req: ProviderRequest): Promise<ProviderResult>;
}
