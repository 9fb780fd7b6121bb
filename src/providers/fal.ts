// FLUX.2, Qwen Image 2 and Reve on fal.ai through @fal-ai/client's queue API: submit
// (POST queue.fal.run/{endpoint}) → poll /requests/{id}/status until COMPLETED → fetch
// /requests/{id}. The client builds queue.fal.run URLs itself; a request middleware points
// them at LIKENESS_FAL_BASE_URL when set (a proxy, or a stand-in in tests). Images go up as
// data URIs (the client uploads only Blobs), results come back as URLs or data URIs.
import { createFalClient, type FalClient } from '@fal-ai/client';
import { ApiError } from '../errors.js';
import { fitSize, fromDataUri, inputImageCountOf, sniffMime, toDataUri } from './common.js';
import { mapProviderError, moderation, unavailable } from './errors.js';
import { fetchWithRetry, type RetryPolicy, DEFAULT_RETRY_POLICY } from './retry.js';
import type { ModelCapabilities, Provider, ProviderImage, ProviderRequest, ProviderResult } from './types.js';

export interface FalEndpoints {
  /** Text-to-image endpoint id. */
  generate: string;
  /** Image-to-image endpoint id (used whenever images go along). */
  edit: string;
}

export const DEFAULT_FAL_ENDPOINTS: Record<string, FalEndpoints> = {
  'flux-2': { generate: 'fal-ai/flux-2', edit: 'fal-ai/flux-2/edit' },
  'qwen-image-2': { generate: 'fal-ai/qwen-image-2/text-to-image', edit: 'fal-ai/qwen-image-2/edit' },
  reve: { generate: 'fal-ai/reve/text-to-image', edit: 'fal-ai/reve/edit' },
};

export interface FalOptions {
  apiKey?: string;
  baseUrl?: string;
  endpoints: FalEndpoints;
  retry?: RetryPolicy;
  pollIntervalMs?: number;
}

const FAL_QUEUE_ORIGIN = 'https://queue.fal.run';

/** The JSON input fal's model expects for this request. */
export function falInput(modelId: string, req: ProviderRequest): Record<string, unknown> {
  const input: Record<string, unknown> = {
    prompt: req.prompt,
    num_images: Math.max(1, req.n),
    output_format: 'png',
    enable_safety_checker: true,
  };
  if (req.seed !== undefined) input.seed = req.seed;
  if (modelId === 'reve') {
    // Reve takes an aspect ratio and a single image.
    input.aspect_ratio = req.aspectRatio;
    if (req.images.length > 0) input.image_url = toDataUri(req.images[0]);
  } else {
    // FLUX.2 and Qwen Image 2 take explicit sizes (≤ 2048×2048 worth of pixels).
    input.image_size = fitSize(req.width, req.height, { maxEdge: 2048, maxPixels: 2048 * 2048, multiple: 16 });
    if (req.images.length > 0) input.image_urls = req.images.map(toDataUri);
  }
  return input;
}

export class FalProvider implements Provider {
  readonly configured: boolean;
  private readonly client: FalClient | null;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly capabilities: ModelCapabilities,
    private readonly opts: FalOptions,
  ) {
    this.configured = Boolean(opts.apiKey);
    this.fetchImpl = fetchWithRetry(opts.retry ?? DEFAULT_RETRY_POLICY);
    const base = opts.baseUrl?.replace(/\/+$/, '');
    this.client = opts.apiKey
      ? createFalClient({
          credentials: opts.apiKey,
          fetch: this.fetchImpl,
          requestMiddleware: async (r) =>
            base && r.url.startsWith(FAL_QUEUE_ORIGIN) ? { ...r, url: base + r.url.slice(FAL_QUEUE_ORIGIN.length) } : r,
        })
      : null;
  }

  async generate(req: ProviderRequest): Promise<ProviderResult> {
    const name = this.capabilities.displayName;
    if (!this.client) throw unavailable(name, 'LIKENESS_FAL_KEY is not set');
    if (inputImageCountOf(req) === 0 && req.images.length === 0 && req.operation !== 'generate') {
      throw new ApiError(400, 'INVALID_REQUEST', `/${req.operation} needs an input image.`);
    }
    const endpoint = req.images.length > 0 ? this.opts.endpoints.edit : this.opts.endpoints.generate;
    try {
      const queued = await this.client.queue.submit(endpoint, { input: falInput(this.capabilities.id, req), abortSignal: req.signal });
      await this.client.queue.subscribeToStatus(endpoint, {
        requestId: queued.request_id,
        mode: 'polling',
        pollInterval: this.opts.pollIntervalMs ?? 1000,
        abortSignal: req.signal,
      });
      const result = await this.client.queue.result(endpoint, { requestId: queued.request_id, abortSignal: req.signal });
      return { images: await this.collect(result.data, req.signal) };
    } catch (err) {
      throw mapProviderError(name, err, req.signal);
    }
  }

  private async collect(data: unknown, signal: AbortSignal): Promise<ProviderImage[]> {
    const name = this.capabilities.displayName;
    const d = (data ?? {}) as { images?: Array<{ url?: string }>; image?: { url?: string }; has_nsfw_concepts?: boolean[] };
    const list = d.images ?? (d.image ? [d.image] : []);
    const flags = d.has_nsfw_concepts ?? [];
    // fal blanks images its safety checker flags: drop those, and refuse if none is left.
    const kept = list.filter((_, i) => flags[i] !== true);
    if (list.length > 0 && kept.length === 0) throw moderation(name, 'the safety checker flagged every output');
    const out: ProviderImage[] = [];
    for (const img of kept) {
      if (!img.url) continue;
      const inline = img.url.startsWith('data:') ? fromDataUri(img.url) : null;
      if (inline) {
        out.push({ data: inline.data, mimeType: sniffMime(inline.data) });
        continue;
      }
      const res = await this.fetchImpl(img.url, { signal });
      const bytes = Buffer.from(await res.arrayBuffer());
      out.push({ data: bytes, mimeType: sniffMime(bytes) });
    }
    if (out.length === 0) throw new ApiError(500, 'INTERNAL_ERROR', `Base model ${name} returned no image.`);
    return out;
  }
}
