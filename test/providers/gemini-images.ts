// A stand-in for the Gemini API's generateContent (the wire protocol @google/genai speaks:
// POST /v1beta/models/{model}:generateContent, x-goog-api-key, labelled inlineData parts in,
// an inlineData image part out; a refusal is a 200 with finishReason SAFETY) on 127.0.0.1.
// It answers each call with the next entry of a script, so a test decides what the "model"
// draws on every attempt: a stranger, a look-alike, the right person, a refusal.
import { startStandIn, sendJson, json, type StandIn } from './standin.js';

export interface GeminiCall {
  path: string;
  key: string;
  /** Text parts, in order (labels and the prompt). */
  texts: string[];
  /** inlineData images, in order. */
  images: Buffer[];
  imageConfig: { aspectRatio?: string; imageSize?: string } | undefined;
}

/** A photo to answer with, a refusal, or a function of the call (e.g. answer repairs differently). */
export type GeminiAnswer = Buffer | { refuse: string } | ((call: GeminiCall) => Buffer | { refuse: string } | Promise<Buffer | { refuse: string }>);

export interface GeminiStandIn extends StandIn {
  calls: GeminiCall[];
  /** Replaces the script; calls past its end get a 400 INVALID_ARGUMENT (so a stray call shows). */
  script(answers: GeminiAnswer[]): void;
}

export async function startGeminiImages(): Promise<GeminiStandIn> {
  let queue: GeminiAnswer[] = [];
  const calls: GeminiCall[] = [];
  const s = await startStandIn(async (req, res) => {
    if (!/^\/v1beta\/models\/[^/]+:generateContent$/.test(req.path)) return sendJson(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    const body = json(req);
    const parts = body.contents.flatMap((c: { parts: unknown[] }) => c.parts) as Array<{ text?: string; inlineData?: { data: string } }>;
    const call: GeminiCall = {
      path: req.path,
      key: String(req.headers['x-goog-api-key']),
      texts: parts.filter((p) => typeof p.text === 'string').map((p) => p.text!),
      images: parts.filter((p) => p.inlineData).map((p) => Buffer.from(p.inlineData!.data, 'base64')),
      imageConfig: body.generationConfig?.imageConfig ?? body.config?.imageConfig,
    };
    calls.push(call);
    const next = queue.shift();
    if (next === undefined) return sendJson(res, 400, { error: { code: 400, message: 'stand-in: no scripted answer left', status: 'INVALID_ARGUMENT' } });
    const answer = typeof next === 'function' ? await next(call) : next;
    if (!Buffer.isBuffer(answer)) {
      return sendJson(res, 200, { candidates: [{ content: { role: 'model', parts: [] }, finishReason: answer.refuse }] });
    }
    sendJson(res, 200, {
      candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/jpeg', data: answer.toString('base64') } }] }, finishReason: 'STOP' }],
    });
  });
  return {
    ...s,
    calls,
    script(answers) {
      queue = [...answers];
      calls.length = 0;
    },
  };
}
