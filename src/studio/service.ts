// The studio use case: /edit, /generate, /remix and /enhance. `prepare` runs every check
// that needs no heavy work (so an async submit fails fast with the right error), `execute`
// produces the images with a base model or the local enhancer and wraps them in the identity
// layer: reference photos go to the model, candidates are ranked by identity similarity,
// and every output face is recognised for `known_subjects`.
import { ApiError, ValidationFailed, type ValidationIssue } from '../errors.js';
import type { Config } from '../config.js';
import type { StudioRequest } from '../contract/schemas.js';
import type { ProfileRecord } from '../store/types.js';
import type { BlobStore } from '../blobs/types.js';
import type { ProfileService } from '../profiles/service.js';
import { referencePhotos } from '../profiles/pipeline.js';
import type { IdentityEngine, ImageAnalysis, ProfileModel, SubjectKind } from '../identity/types.js';
import { recognize, recognizeAnalysis, subjectOf, type Candidate, type RecognizedFace } from '../identity/recognize.js';
import type { Provider, ProviderImage, StudioOperation, AspectRatio, Resolution, Quality } from '../providers/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { checkCapabilities } from '../providers/validate.js';
import { parseProfileRefs, mergeCandidates, rewritePrompt, identityInstructions, type SubjectNoun } from './prompt.js';
import { loadImageInput, type LoadedImage } from '../imaging/input.js';
import { outputSize, type AspectOption } from '../imaging/geometry.js';
import { fitAndEncode } from '../imaging/output.js';
import { sniffFormat, mimeFor } from '../imaging/format.js';
import { assertCallbackUrl } from '../jobs/url-policy.js';
import type { WorkerPool } from '../identity/pool.js';
import { runLocalEnhance } from './enhance.js';

export type StudioKind = 'edit' | 'generate' | 'enhance' | 'remix';

export interface PreparedRequest {
  kind: StudioKind;
  body: StudioRequest & Record<string, unknown>;
  candidateIds: string[];
  /** Base model id, or null for the local enhancer. */
  baseModel: string | null;
}

export interface StudioOutcome {
  format: 'jpg' | 'png';
  outputs: Buffer[];
  knownSubjects: KnownSubjects;
}

export interface KnownSubjects {
  counts: Record<string, number>;
  matches: Array<{ image_index: number; profile_id: string; similarity: number; box: [number, number, number, number]; kind: SubjectKind }>;
}

export interface StudioService {
  prepare(accountId: string, kind: StudioKind, body: Record<string, unknown>): Promise<PreparedRequest>;
  execute(accountId: string, prepared: PreparedRequest, signal: AbortSignal): Promise<StudioOutcome>;
}

export interface StudioDeps {
  config: Config;
  blobs: BlobStore;
  profiles: ProfileService;
  providers: ProviderRegistry;
  identity: () => Promise<IdentityEngine>;
  pool: () => Promise<WorkerPool>;
}

/** What to set so a base model works; shown in the 503. */
const CONFIGURE_HINT: Record<string, string> = {
  nb2: 'LIKENESS_GEMINI_API_KEY',
  'nb-pro': 'LIKENESS_GEMINI_API_KEY',
  'gpt-image-2': 'LIKENESS_OPENAI_API_KEY (or LIKENESS_OPENAI_BASE_URL for an OpenAI-compatible server)',
  'flux-2': 'LIKENESS_FAL_KEY',
  'qwen-image-2': 'LIKENESS_FAL_KEY',
  reve: 'LIKENESS_FAL_KEY',
};

const OPERATION: Record<StudioKind, StudioOperation> = { edit: 'edit', generate: 'generate', enhance: 'enhance', remix: 'remix' };

export function createStudioService(deps: StudioDeps): StudioService {
  const { config } = deps;

  function requireProvider(modelId: string, kind: StudioKind, resolution: Resolution, quality: Quality | null): Provider {
    const provider = deps.providers.get(modelId);
    if (!provider) {
      throw new ApiError(503, 'BASE_MODEL_UNAVAILABLE', `Base model '${modelId}' is not available on this server.`);
    }
    checkCapabilities(provider.capabilities, { operation: OPERATION[kind], resolution, quality });
    if (!provider.configured) {
      const hint = CONFIGURE_HINT[modelId] ?? 'a provider for it';
      throw new ApiError(
        503,
        'BASE_MODEL_UNAVAILABLE',
        `Base model '${modelId}' is not configured on this server. Set ${hint}, or serve it from your own GPU with ` +
          `LIKENESS_COMFYUI_URL and LIKENESS_COMFYUI_WORKFLOWS; GET /v1/phota/models lists what is configured.`,
      );
    }
    return provider;
  }

  async function prepare(accountId: string, kind: StudioKind, raw: Record<string, unknown>): Promise<PreparedRequest> {
    const body = raw as PreparedRequest['body'];
    const issues: ValidationIssue[] = [];
    if (body.async && body.response_mode !== 'urls') {
      issues.push({ loc: ['body', 'response_mode'], msg: "Async requests must use response_mode 'urls'", type: 'value_error' });
    }
    if (body.callback_url && !body.async) {
      issues.push({ loc: ['body', 'callback_url'], msg: 'callback_url is only valid with async: true', type: 'value_error' });
    }
    if (issues.length) throw new ValidationFailed(issues);
    if (body.callback_url) {
      await assertCallbackUrl(body.callback_url, { allowHttp: config.allowHttpCallbacks, allowPrivate: config.allowPrivateUrls });
    }

    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    const refs = parseProfileRefs(prompt);
    // /generate has no profile_ids field (a client that sends one is ignored, decisions.md).
    const listed = kind === 'generate' ? [] : ((body as { profile_ids?: string[] | null }).profile_ids ?? []);
    const candidateIds = mergeCandidates(listed, refs);
    await deps.profiles.requireReady(accountId, candidateIds);

    let baseModel: string | null;
    if (kind === 'edit' || kind === 'generate') {
      const b = body as { base_model?: string; resolution?: Resolution; quality?: Quality | null };
      baseModel = b.base_model ?? 'nb2';
      requireProvider(baseModel, kind, b.resolution ?? '1K', b.quality ?? null);
    } else if (kind === 'remix') {
      baseModel = 'nb2'; // pinned, as in the hosted product
      requireProvider(baseModel, kind, '2K', null);
    } else {
      baseModel = config.enhanceBaseModel;
      if (baseModel) requireProvider(baseModel, kind, '2K', null);
    }
    return { kind, body, candidateIds, baseModel };
  }

  async function loadInputs(kind: StudioKind, body: PreparedRequest['body']): Promise<LoadedImage[]> {
    const opts = { allowPrivateUrls: config.allowPrivateUrls };
    const b = body as Record<string, unknown>;
    const specs: Array<[string, string]> =
      kind === 'edit'
        ? (b.images as string[]).map((s, i) => [s, `images[${i}]`] as [string, string])
        : kind === 'remix'
          ? [
              [b.input_image as string, 'input_image'],
              [b.reference_image as string, 'reference_image'],
            ]
          : kind === 'enhance'
            ? [[b.image as string, 'image']]
            : [];
    return Promise.all(specs.map(([s, field]) => loadImageInput(s, opts, field)));
  }

  /** `analyses[i]`, when given, is a face analysis of `images[i]` already made (saves a model run). */
  async function knownSubjects(images: Buffer[], candidates: Candidate[], analyses: Array<ImageAnalysis | null> = []): Promise<KnownSubjects> {
    const ks: KnownSubjects = { counts: {}, matches: [] };
    if (candidates.length === 0) return ks;
    const engine = await deps.identity();
    for (const [i, img] of images.entries()) {
      const known = analyses[i];
      const faces = known ? recognizeAnalysis(known, candidates) : await recognize(engine, img, candidates);
      for (const f of faces) {
        if (!f.profileId) continue;
        ks.counts[f.profileId] = (ks.counts[f.profileId] ?? 0) + 1;
        const box = f.box.map(Math.round) as KnownSubjects['matches'][0]['box'];
        ks.matches.push({ image_index: i, profile_id: f.profileId, similarity: round4(f.similarity), box, kind: f.kind });
      }
    }
    return ks;
  }

  async function execute(accountId: string, prep: PreparedRequest, signal: AbortSignal): Promise<StudioOutcome> {
    const { kind, body } = prep;
    // Profiles may have been deleted between submit and run (decisions #21).
    const profiles = await deps.profiles.requireReady(accountId, prep.candidateIds);
    const candidates: Candidate[] = profiles.map((p) => ({ profileId: p.id, model: p.model as ProfileModel }));
    const inputs = await loadInputs(kind, body);
    signal.throwIfAborted();
    const format = ((body as { output_format?: 'jpg' | 'png' }).output_format ?? 'jpg') as 'jpg' | 'png';
    const num = (body as { num_output_images?: number }).num_output_images ?? 1;

    if (prep.baseModel === null) {
      const enhanced = await runLocalEnhance({
        pool: await deps.pool(),
        identity: deps.identity,
        input: inputs[0].data,
        variants: num,
        prompt: (body as { prompt?: string | null }).prompt ?? undefined,
        format,
        signal,
      });
      const outputs = enhanced.map((e) => e.data);
      return { format, outputs, knownSubjects: await knownSubjects(outputs, candidates, enhanced.map((e) => e.analysis)) };
    }

    const provider = deps.providers.get(prep.baseModel)!;
    const caps = provider.capabilities;
    const b = body as { aspect_ratio?: AspectOption; resolution?: Resolution; quality?: Quality | null; prompt?: string | null };
    const resolution: Resolution = kind === 'edit' || kind === 'generate' ? (b.resolution ?? '1K') : '2K';
    const aspect: AspectOption = kind === 'edit' || kind === 'generate' ? (b.aspect_ratio ?? 'auto') : 'auto';
    const target = outputSize(aspect, resolution, inputs[0] ? { width: inputs[0].width, height: inputs[0].height } : undefined);

    // Who must look like themselves: people named in the prompt, and (edit, remix, enhance)
    // candidates already present in the input photos.
    const prompt = b.prompt ?? '';
    const named = parseProfileRefs(prompt).filter((id) => prep.candidateIds.includes(id));
    const present = new Set<string>(named);
    if (kind !== 'generate' && candidates.length > 0) {
      const engine = await deps.identity();
      const contentInputs = kind === 'remix' ? inputs.slice(0, 1) : inputs;
      for (const img of contentInputs) {
        for (const f of await recognize(engine, img.data, candidates)) if (f.profileId) present.add(f.profileId);
      }
    }
    const identityProfiles = profiles.filter((p) => present.has(p.id));

    // Attach reference photos within the model's input limit, the user's inputs first.
    const images: ProviderImage[] = inputs.map((i) => ({ data: i.data, mimeType: mimeOf(i.data) }));
    const refIndex = new Map<string, number[]>();
    let free = caps.maxInputImages - images.length;
    const refsByProfile = await Promise.all(identityProfiles.map((p) => referencePhotos(deps.blobs, p)));
    for (let round = 0; free > 0; round++) {
      let added = false;
      for (const [k, p] of identityProfiles.entries()) {
        const ref = refsByProfile[k][round];
        if (!ref || free <= 0) continue;
        images.push({ data: ref, mimeType: mimeOf(ref) });
        refIndex.set(p.id, [...(refIndex.get(p.id) ?? []), images.length]); // 1-based image number
        free--;
        added = true;
      }
      if (!added) break;
    }
    const subjects = new Map(profiles.map((p) => [p.id, subjectOf(p.model as ProfileModel)] as const));
    const providerPrompt = buildPrompt(kind, rewritePrompt(prompt, refIndex, subjects), refIndex, named, inputs.length, subjects);

    // Over-generate when identity matters and the model allows it, then keep the best.
    const perCall = Math.max(1, Math.min(4, caps.maxOutputsPerCall));
    const wanted = identityProfiles.length > 0 ? Math.max(num, perCall) : num;
    const produced: Buffer[] = [];
    while (produced.length < wanted) {
      signal.throwIfAborted();
      const n = Math.min(perCall, wanted - produced.length);
      const res = await provider.generate({
        operation: OPERATION[kind],
        prompt: providerPrompt,
        images,
        inputImageCount: inputs.length,
        width: target.width,
        height: target.height,
        aspectRatio: target.aspectRatio as AspectRatio,
        resolution,
        quality: b.quality ?? null,
        n,
        signal,
      });
      if (res.images.length === 0) throw new ApiError(502, 'INTERNAL_ERROR', `Base model '${prep.baseModel}' returned no image.`);
      produced.push(...res.images.map((i) => i.data));
      if (res.images.length < n && produced.length >= num) break;
    }

    let chosen = produced;
    if (produced.length > num && identityProfiles.length > 0) {
      const engine = await deps.identity();
      const ids = new Set(identityProfiles.map((p) => p.id));
      const scored = [];
      for (const [i, img] of produced.entries()) {
        const faces: RecognizedFace[] = await recognize(engine, img, candidates);
        const score = faces.filter((f) => f.profileId && ids.has(f.profileId)).reduce((s, f) => s + f.similarity, 0);
        scored.push({ i, score });
      }
      scored.sort((x, y) => y.score - x.score || x.i - y.i);
      chosen = scored.slice(0, num).map((s) => produced[s.i]);
    } else {
      chosen = produced.slice(0, num);
    }
    const outputs = await Promise.all(chosen.map((img) => fitAndEncode(img, target, format)));
    return { format, outputs, knownSubjects: await knownSubjects(outputs, candidates) };
  }

  return { prepare, execute };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function mimeOf(buf: Buffer): string {
  const f = sniffFormat(buf);
  return f ? mimeFor(f) : 'application/octet-stream';
}

/** Adds the instruction a base model needs to use the attached photos as intended. */
function buildPrompt(
  kind: StudioKind,
  prompt: string,
  refIndex: Map<string, number[]>,
  named: string[],
  inputCount: number,
  subjects: ReadonlyMap<string, SubjectNoun> = new Map(),
): string {
  const parts: string[] = [];
  if (kind === 'remix') {
    parts.push('Render the content and people of image 1 in the visual style (lighting, palette, mood, treatment) of image 2.');
  } else if (kind === 'enhance') {
    parts.push('Enhance image 1: fix lighting, colour, sharpness, noise and compression artifacts without changing its content.');
  }
  if (prompt.trim()) parts.push(prompt.trim());
  parts.push(...identityInstructions(refIndex, subjects, named, inputCount > 0));
  return parts.join(' ');
}

