// Nano Banana (Gemini image models) through @google/genai: one generateContent call per
// candidate, images sent as inlineData parts each preceded by a text label so the
// rewritten prompt's "reference image N" is unambiguous; imageConfig carries the aspect
// ratio and the 1K/2K/4K size. A refusal arrives as a 200 with a block/finish reason.
import { GoogleGenAI, type Part } from '@google/genai';
import { ApiError } from '../errors.js';
import { inputImageCountOf, times } from './common.js';
import { mapProviderError, moderation, unavailable } from './errors.js';
import { fetchWithRetry, type RetryPolicy, DEFAULT_RETRY_POLICY } from './retry.js';
import type { ModelCapabilities, Provider, ProviderImage, ProviderRequest, ProviderResult } from './types.js';

export interface GeminiOptions {
  apiKey?: string;
  baseUrl?: string;
  model: string;
  retry?: RetryPolicy;
}

const REFUSAL_REASONS = new Set([
  'SAFETY',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'RECITATION',
  'IMAGE_RECITATION',
  'MODEL_ARMOR',
]);

/** Builds the `contents` parts: labelled images, then the prompt. */
export function geminiParts(req: ProviderRequest): Part[] {
  const inputs = inputImageCountOf(req);
  const parts: Part[] = [];
  req.images.forEach((img, i) => {
    const label = i < inputs ? `Input image ${i + 1}:` : `Reference image ${i + 1}:`;
    parts.push({ text: label });
    parts.push({ inlineData: { mimeType: img.mimeType, data: img.data.toString('base64') } });
  });
  parts.push({ text: req.prompt });
  return parts;
}

export class GeminiProvider implements Provider {
  readonly configured: boolean;
  private readonly client: GoogleGenAI | null;

  constructor(
    readonly capabilities: ModelCapabilities,
    private readonly opts: GeminiOptions,
  ) {
    this.configured = Boolean(opts.apiKey);
    this.client = opts.apiKey
      ? new GoogleGenAI({
          apiKey: opts.apiKey,
          httpOptions: {
            ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
            fetch: fetchWithRetry(opts.retry ?? DEFAULT_RETRY_POLICY),
          },
        })
      : null;
  }

  async generate(req: ProviderRequest): Promise<ProviderResult> {
    const name = this.capabilities.displayName;
    if (!this.client) throw unavailable(name, 'LIKENESS_GEMINI_API_KEY is not set');
    const parts = geminiParts(req);
    const images = await times(Math.max(1, req.n), async (i) => {
      try {
        return await this.once(parts, req, i);
      } catch (err) {
        throw mapProviderError(name, err, req.signal);
      }
    });
    return { images };
  }

  private async once(parts: Part[], req: ProviderRequest, i: number): Promise<ProviderImage> {
    const res = await this.client!.models.generateContent({
      model: this.opts.model,
      contents: [{ role: 'user', parts }],
      config: {
        responseModalities: ['IMAGE'],
        imageConfig: { aspectRatio: req.aspectRatio, imageSize: req.resolution },
        ...(req.seed !== undefined ? { seed: req.seed + i } : {}),
        abortSignal: req.signal,
      },
    });
    const name = this.capabilities.displayName;
    const blocked = res.promptFeedback?.blockReason;
    if (blocked) throw moderation(name, `prompt blocked: ${blocked}`);
    const cand = res.candidates?.[0];
    for (const p of cand?.content?.parts ?? []) {
      if (p.inlineData?.data && (p.inlineData.mimeType ?? 'image/png').startsWith('image/')) {
        return { data: Buffer.from(p.inlineData.data, 'base64'), mimeType: p.inlineData.mimeType ?? 'image/png' };
      }
    }
    const reason = cand?.finishReason ? String(cand.finishReason) : undefined;
    if (reason && REFUSAL_REASONS.has(reason)) throw moderation(name, `finish reason ${reason}`);
    const text = (cand?.content?.parts ?? []).map((p) => p.text ?? '').join(' ').trim().slice(0, 200);
    throw new ApiError(500, 'INTERNAL_ERROR', `Base model ${name} returned no image${reason ? ` (${reason})` : ''}${text ? `: ${text}` : ''}`);
  }
}
