// A self-hosted ComfyUI server as a base model: upload images (POST /upload/image), queue
// the filled API-format workflow (POST /prompt {prompt, client_id}), follow execution on
// the WebSocket (/ws?clientId=…: `executing` with node null = done, `execution_error`),
// then read GET /history/{prompt_id} and download each output with GET /view.
import { randomUUID, randomInt } from 'node:crypto';
import WebSocket from 'ws';
import { ApiError } from '../errors.js';
import { extensionFor, inputImageCountOf, sniffMime } from './common.js';
import { fillWorkflow, historyImages, MissingImageError, type ApiWorkflow } from './comfyui-workflow.js';
import { mapProviderError, unavailable } from './errors.js';
import { fetchWithRetry, sleep, type RetryPolicy, DEFAULT_RETRY_POLICY } from './retry.js';
import type { ModelCapabilities, Provider, ProviderImage, ProviderRequest, ProviderResult } from './types.js';

export interface ComfyOptions {
  url?: string;
  workflow: ApiWorkflow;
  retry?: RetryPolicy;
  /** History polling interval when the WebSocket drops. */
  pollIntervalMs?: number;
}

type Outcome = { ok: true } | { ok: false; message: string };

/** Collects execution outcomes per prompt id from the WebSocket, including early ones. */
class ExecutionTracker {
  private outcomes = new Map<string, Outcome>();
  private waiters = new Map<string, (o: Outcome) => void>();
  closed = false;
  private onClose: Array<() => void> = [];

  constructor(ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return; // preview frames
      let msg: { type?: string; data?: Record<string, unknown> };
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return;
      }
      const pid = typeof msg.data?.prompt_id === 'string' ? msg.data.prompt_id : undefined;
      if (!pid) return;
      if ((msg.type === 'executing' && msg.data?.node === null) || msg.type === 'execution_success') this.settle(pid, { ok: true });
      else if (msg.type === 'execution_error') {
        const d = msg.data as { exception_message?: unknown; node_type?: unknown };
        this.settle(pid, { ok: false, message: `${String(d.node_type ?? 'node')}: ${String(d.exception_message ?? 'execution error')}` });
      } else if (msg.type === 'execution_interrupted') this.settle(pid, { ok: false, message: 'execution interrupted' });
    });
    ws.on('close', () => {
      this.closed = true;
      this.onClose.splice(0).forEach((f) => f());
    });
  }

  private settle(pid: string, o: Outcome) {
    if (this.outcomes.has(pid)) return;
    this.outcomes.set(pid, o);
    this.waiters.get(pid)?.(o);
  }

  /** Resolves with the outcome, or null if the socket closed first. */
  wait(pid: string, signal: AbortSignal): Promise<Outcome | null> {
    const known = this.outcomes.get(pid);
    if (known) return Promise.resolve(known);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (o: Outcome | null) => {
        signal.removeEventListener('abort', onAbort);
        resolve(o);
      };
      this.waiters.set(pid, done);
      this.onClose.push(() => done(this.outcomes.get(pid) ?? null));
    });
  }
}

function openSocket(url: string, signal: AbortSignal): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const onAbort = () => {
      ws.terminate();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(ws);
    });
    ws.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

export class ComfyUIProvider implements Provider {
  readonly configured: boolean;
  private readonly base: string;
  private readonly http: typeof fetch;

  constructor(
    readonly capabilities: ModelCapabilities,
    private readonly opts: ComfyOptions,
  ) {
    this.configured = Boolean(opts.url);
    this.base = (opts.url ?? '').replace(/\/+$/, '');
    this.http = fetchWithRetry(opts.retry ?? DEFAULT_RETRY_POLICY);
  }

  async generate(req: ProviderRequest): Promise<ProviderResult> {
    const name = this.capabilities.displayName;
    if (!this.configured) throw unavailable(name, 'LIKENESS_COMFYUI_URL is not set');
    const clientId = randomUUID();
    let ws: WebSocket | undefined;
    try {
      ws = await openSocket(`${this.base.replace(/^http/, 'ws')}/ws?clientId=${clientId}`, req.signal);
      const tracker = new ExecutionTracker(ws);
      const files = [];
      for (const [i, img] of req.images.entries()) files.push(await this.upload(img, `likeness_${clientId}_${i}`, req.signal));
      const k = inputImageCountOf(req);
      const seed0 = req.seed ?? randomInt(0, 2 ** 32 - 1);
      const batch = /\{\{\s*batch_size\s*\}\}/.test(JSON.stringify(this.opts.workflow));
      const runs = batch ? 1 : Math.max(1, req.n);
      const images: ProviderImage[] = [];
      for (let r = 0; r < runs; r++) {
        const prompt = fillWorkflow(this.opts.workflow, {
          prompt: req.prompt,
          width: req.width,
          height: req.height,
          seed: seed0 + r,
          batch_size: batch ? Math.max(1, req.n) : 1,
          inputImages: files.slice(0, k),
          referenceImages: files.slice(k),
        });
        const promptId = await this.queue(prompt, clientId, req.signal);
        const outcome = await tracker.wait(promptId, req.signal);
        if (outcome && !outcome.ok) throw new ApiError(500, 'INTERNAL_ERROR', `Base model ${name} (ComfyUI) failed: ${outcome.message}`);
        images.push(...(await this.outputs(promptId, req.signal)));
      }
      if (images.length === 0) throw new ApiError(500, 'INTERNAL_ERROR', `Base model ${name} (ComfyUI) produced no image; does the workflow end in SaveImage?`);
      return { images };
    } catch (err) {
      if (err instanceof MissingImageError) {
        const hint = err.kind === 'reference' ? ' Mention a trained profile with [[profile_id]] in the prompt.' : '';
        throw new ApiError(400, 'INVALID_REQUEST', `Base model ${name}: ${err.message}.${hint}`);
      }
      throw mapProviderError(name, err, req.signal);
    } finally {
      ws?.terminate();
    }
  }

  private async upload(img: ProviderImage, stem: string, signal: AbortSignal): Promise<string> {
    const form = new FormData();
    const filename = `${stem}.${extensionFor(img.mimeType)}`;
    form.append('image', new Blob([img.data], { type: img.mimeType }), filename);
    form.append('type', 'input');
    form.append('overwrite', 'true');
    const res = await this.http(`${this.base}/upload/image`, { method: 'POST', body: form, signal });
    const body = (await res.json()) as { name?: string; subfolder?: string };
    if (!body.name) throw new Error('ComfyUI /upload/image answered without a file name');
    return body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
  }

  private async queue(prompt: ApiWorkflow, clientId: string, signal: AbortSignal): Promise<string> {
    const res = await this.http(`${this.base}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, client_id: clientId }),
      signal,
    });
    const body = (await res.json()) as { prompt_id?: string };
    if (!body.prompt_id) throw new Error('ComfyUI /prompt answered without prompt_id');
    return body.prompt_id;
  }

  /**
   * Reads the prompt's history and downloads its images. Polls while the entry is missing
   * or incomplete (the socket dropped, or history is written a moment after the event).
   */
  private async outputs(promptId: string, signal: AbortSignal): Promise<ProviderImage[]> {
    for (;;) {
      const res = await this.http(`${this.base}/history/${encodeURIComponent(promptId)}`, { signal });
      const history = (await res.json()) as Record<string, { status?: { status_str?: string; completed?: boolean; messages?: unknown } }>;
      const entry = history[promptId];
      if (entry?.status?.status_str === 'error') {
        throw new ApiError(500, 'INTERNAL_ERROR', `Base model ${this.capabilities.displayName} (ComfyUI) failed while executing the workflow.`);
      }
      if (entry && (entry.status?.completed ?? true)) {
        const out: ProviderImage[] = [];
        for (const f of historyImages(history, promptId)) {
          const q = new URLSearchParams({ filename: f.filename, subfolder: f.subfolder, type: f.type });
          const img = await this.http(`${this.base}/view?${q}`, { signal });
          const data = Buffer.from(await img.arrayBuffer());
          out.push({ data, mimeType: sniffMime(data) });
        }
        return out;
      }
      await sleep(this.opts.pollIntervalMs ?? 1000, signal);
    }
  }
}
