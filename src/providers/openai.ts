// GPT Image through the official `openai` SDK: /images/generations when no image goes
// along, /images/edits (multipart, repeated `image[]` parts, user inputs first) otherwise.
// `quality` is passed through; input_fidelity "high" is sent only to models that accept it
// (gpt-image-2 always works at high fidelity and rejects the field). Works unchanged
// against OpenAI-compatible servers such as LocalAI through LIKENESS_OPENAI_BASE_URL.
import OpenAI, { toFile } from 'openai';
import { ApiError } from '../errors.js';
import { extensionFor, fitSize, sniffMime } from './common.js';
import { mapProviderError, unavailable } from './errors.js';
import { fetchWithRetry, type RetryPolicy, DEFAULT_RETRY_POLICY } from './retry.js';
import type { ModelCapabilities, Provider, ProviderImage, ProviderRequest, ProviderResult } from './types.js';

export interface OpenAIOptions {
  apiKey?: string;
  baseUrl?: string;
  model: string;
  retry?: RetryPolicy;
}

/** gpt-image-1 / 1.5 (and their snapshots) accept input_fidelity; mini and gpt-image-2 do not. */
export function supportsInputFidelity(model: string): boolean {
  return /^gpt-image-1(\.5)?(-\d{4}-\d{2}-\d{2})?$/.test(model);
}

/**
 * OpenAI's size string for the request: gpt-image-2 takes any WxH with sides divisible by
 * 16 up to 3840 px and 3840×2160 worth of pixels, so 4K outputs are produced at the
 * largest allowed size and upscaled by the studio.
 */
export function openaiSize(width: number, height: number): string {
  const s = fitSize(width, height, { maxEdge: 3840, maxPixels: 3840 * 2160, multiple: 16 });
  return `${s.width}x${s.height}`;
}

export class OpenAIProvider implements Provider {
  readonly configured: boolean;
  private readonly client: OpenAI | null;

  constructor(
    readonly capabilities: ModelCapabilities,
    private readonly opts: OpenAIOptions,
  ) {
    // A base URL alone is enough: local OpenAI-compatible servers often need no key.
    this.configured = Boolean(opts.apiKey || opts.baseUrl);
    this.client = this.configured
      ? new OpenAI({
          apiKey: opts.apiKey || 'not-needed',
          ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
          maxRetries: 0,
          fetch: fetchWithRetry(opts.retry ?? DEFAULT_RETRY_POLICY),
        })
      : null;
  }

  async generate(req: ProviderRequest): Promise<ProviderResult> {
    const name = this.capabilities.displayName;
    if (!this.client) throw unavailable(name, 'LIKENESS_OPENAI_API_KEY (or LIKENESS_OPENAI_BASE_URL) is not set');
    const common = {
      model: this.opts.model,
      prompt: req.prompt,
      n: Math.max(1, req.n),
      size: openaiSize(req.width, req.height),
      ...(req.quality ? { quality: req.quality } : {}),
    };
    let res: OpenAI.Images.ImagesResponse;
    try {
      if (req.images.length === 0) {
        res = await this.client.images.generate(common, { signal: req.signal });
      } else {
        const image = await Promise.all(
          req.images.map((img, i) => toFile(img.data, `image-${i + 1}.${extensionFor(img.mimeType)}`, { type: img.mimeType })),
        );
        res = await this.client.images.edit(
          { ...common, image, ...(supportsInputFidelity(this.opts.model) ? { input_fidelity: 'high' as const } : {}) },
          { signal: req.signal },
        );
      }
    } catch (err) {
      throw mapProviderError(name, err, req.signal);
    }
    const images: ProviderImage[] = [];
    for (const d of res.data ?? []) {
      if (d.b64_json) {
        const data = Buffer.from(d.b64_json, 'base64');
        images.push({ data, mimeType: sniffMime(data) });
      } else if (d.url) {
        images.push(await this.download(d.url, req.signal));
      }
    }
    if (images.length === 0) throw new ApiError(500, 'INTERNAL_ERROR', `Base model ${name} returned no image.`);
    return { images };
  }

  /** Some OpenAI-compatible servers answer with URLs instead of b64_json. */
  private async download(url: string, signal: AbortSignal): Promise<ProviderImage> {
    try {
      const res = await fetchWithRetry(this.opts.retry ?? DEFAULT_RETRY_POLICY)(url, { signal });
      const data = Buffer.from(await res.arrayBuffer());
      return { data, mimeType: sniffMime(data) };
    } catch (err) {
      throw mapProviderError(this.capabilities.displayName, err, signal);
    }
  }
}
