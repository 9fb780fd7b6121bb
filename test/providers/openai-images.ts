// A stand-in for the OpenAI Images API (POST /v1/images/generations with JSON, or
// /v1/images/edits with multipart image[] parts when reference photos go along; b64_json out) on 127.0.0.1 that answers with real photos letterboxed to the requested size, or with the
// API's error shape when the prompt asks for it (`fail` in the prompt → 500).
import sharp from 'sharp';
import { startStandIn, sendJson, json, formData, type StandIn } from './standin.js';

export async function startOpenAIImages(photo: () => Promise<Buffer>): Promise<StandIn> {
  return startStandIn(async (req, res) => {
    let body: { prompt: string; n?: number; size: string };
    if (req.path === '/v1/images/generations') body = json(req);
    else if (req.path === '/v1/images/edits') {
      const form = await formData(req);
      body = { prompt: String(form.get('prompt')), n: Number(form.get('n') ?? 1), size: String(form.get('size')) };
    } else return sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
    if (/\bfail\b/.test(body.prompt)) return sendJson(res, 500, { error: { message: 'The server had an error', type: 'server_error' } });
    const [w, h] = String(body.size).split('x').map(Number);
    const data = [];
    for (let i = 0; i < (body.n ?? 1); i++) {
      const img = await sharp(await photo()).resize(w, h, { fit: 'contain', background: '#808080' }).png().toBuffer();
      data.push({ b64_json: img.toString('base64') });
    }
    sendJson(res, 200, { created: Math.floor(Date.now() / 1000), data });
  });
}
