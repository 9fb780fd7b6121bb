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
import { arrangedReferencePhotos } from './reference-photos.js';
import type { IdentityEngine, ImageAnalysis, ProfileModel, SubjectKind } from '../identity/types.js';
import { needsPets, recognize, recognizeAnalysis, subjectOf, type Candidate } from '../identity/recognize.js';
import type { Provider, ProviderImage, StudioOperation, AspectRatio, Resolution, Quality } from '../providers/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { checkCapabilities } from '../providers/validate.js';
import { parseProfileRefs, mergeCandidates, rewritePrompt, planReferences, identityInstructions, type SubjectNoun } from './prompt.js';
import { loadImageInput, type LoadedImage } from '../imaging/input.js';
import { outputSize, type AspectOption } from '../imaging/geometry.js';
import { fitAndEncode } from '../imaging/output.js';
import { sniffFormat, mimeFor } from '../imaging/format.js';
import { assertCallbackUrl } from '../jobs/url-policy.js';
import type { WorkerPool } from '../identity/pool.js';
import { runLocalEnhance } from './enhance.js';
import { attemptBudget } from './attempt-policy.js';
import { judge as judgeCandidate, scoreAnalysis, type Subject } from './identity-verdict.js';
import { runIdentityLoop, type LoopPorts } from './generation-loop.js';
import { RepairLedger } from './repair-ledger.js';
import { facePosition, repairPrompt } from './prompt.js';

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
  /** One entry per output, in order (the response's `identity`). */
  identity: IdentityEntry[];
  /** Base-model calls made for this request, retries and repairs included (0 for local work). */
  baseModelCalls: number;
}

export interface IdentityEntry {
  passed: boolean;
  attempts: number;
  missing: string[];
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

/**
 * How far under its threshold a missing person's best free face may be for one repair edit to
 * be tried instead of a new generation. Strangers in our photos score 0.82–0.90 against a
 * profile whose cut is 0.947; a drifted face of the person scores 0.90–0.946.
 */
const REPAIR_MARGIN = 0.04;
/** Reference photos per person in a repair edit ("match the person in images 2–4"). */
const MAX_REPAIR_REFS_PER_SUBJECT = 3;

const OPERATION: Record<StudioKind, StudioOperation> = { edit: 'edit', generate: 'generate', enhance: 'enhance', remix: 'remix' };

export function createStudioService(deps: StudioDeps): StudioService {
  const { config } = deps;
  // Per base model: do repair edits pass as often as new generations? (this process's experience)
  const repairLedger = new RepairLedger();

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
      const provider = requireProvider(baseModel, kind, b.resolution ?? '1K', b.quality ?? null);
      // Fail at submit, not in the job: the inputs alone must fit the model (references are then fitted in).
      const inputCount = kind === 'edit' ? ((body as { images?: unknown[] }).images?.length ?? 0) : 0;
      planReferences({ inputImageCount: inputCount, profiles: [], maxInputImages: provider.capabilities.maxInputImages, modelId: baseModel });
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
      const ks = await knownSubjects(outputs, candidates, enhanced.map((e) => e.analysis));
      // Local enhancement is one attempt; the people of the input must still be recognised.
      const required = candidates.length > 0 ? (await recognize(await deps.identity(), inputs[0].data, candidates)).flatMap((f) => (f.profileId ? [f.profileId] : [])) : [];
      const identity = outputs.map((_, i) => {
        const missing = required.filter((id) => !ks.matches.some((m) => m.image_index === i && m.profile_id === id));
        return { passed: missing.length === 0, attempts: 1, missing };
      });
      return { format, outputs, knownSubjects: ks, identity, baseModelCalls: 0 };
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

    // Attach reference photos within the model's input limit, the user's inputs first, dealt
    // fairly over the people (planReferences), each person's photos next to each other.
    const images: ProviderImage[] = inputs.map((i) => ({ data: i.data, mimeType: mimeOf(i.data) }));
    const refsByProfile = await Promise.all(identityProfiles.map((p) => arrangedReferencePhotos(deps.blobs, deps.identity, p)));
    const plan = planReferences({
      inputImageCount: inputs.length,
      profiles: identityProfiles.map((p, k) => ({ id: p.id, referenceCount: refsByProfile[k].length })),
      maxInputImages: caps.maxInputImages,
      modelId: prep.baseModel,
    });
    for (const a of plan.attachments) {
      const ref = refsByProfile[identityProfiles.findIndex((p) => p.id === a.profileId)][a.referenceIndex];
      images.push({ data: ref, mimeType: mimeOf(ref) });
    }
    const refIndex = plan.refToImageIndex;
    const subjects = new Map(profiles.map((p) => [p.id, subjectOf(p.model as ProfileModel)] as const));
    const providerPrompt = buildPrompt(kind, rewritePrompt(prompt, refIndex, subjects), refIndex, named, inputs.length, subjects);

    const required: Subject[] = identityProfiles.map((p) => ({
      profileId: p.id,
      kind: subjectOf(p.model as ProfileModel) === 'person' ? 'person' : 'pet',
      threshold: (p.model as ProfileModel).threshold,
    }));
    const common = { width: target.width, height: target.height, aspectRatio: target.aspectRatio as AspectRatio, resolution, quality: b.quality ?? null };
    // Candidates are fitted and encoded before they are judged, so what is measured is exactly
    // what is returned and its analysis fills known_subjects without a second model run.
    const analyses = new Map<Buffer, ImageAnalysis>();
    const engine = required.length > 0 ? await deps.identity() : null;
    const ports: LoopPorts = {
      async generate(n, sig) {
        const res = await provider.generate({ operation: OPERATION[kind], prompt: providerPrompt, images, inputImageCount: inputs.length, ...common, n, signal: sig });
        return Promise.all(res.images.map((i) => fitAndEncode(i.data, target, format)));
      },
      judge: engine
        ? async (image) => {
            const analysis = await engine.analyze(image, { pets: needsPets(candidates) });
            analyses.set(image, analysis);
            return judgeCandidate(scoreAnalysis(analysis, candidates), required, REPAIR_MARGIN);
          }
        : null,
    };
    const repairRefs = refsByProfile.map((r) => r.slice(0, MAX_REPAIR_REFS_PER_SUBJECT));
    // A repair needs the model to edit and every person's photos to show what to match.
    if (config.identityRepair && caps.operations.includes('edit') && caps.maxInputImages >= 2 && repairRefs.every((r) => r.length > 0)) {
      ports.repair = async (image, targets, sig) => {
        // Image 1 is the candidate; each face to fix brings its own reference photos, within the limit.
        const repairImages: ProviderImage[] = [{ data: image, mimeType: mimeOf(image) }];
        const width = analyses.get(image)?.width ?? target.width;
        const single = (analyses.get(image)?.faces.length ?? 1) <= 1;
        const described = [];
        for (const t of targets) {
          const refs = repairRefs[identityProfiles.findIndex((p) => p.id === t.profileId)] ?? [];
          const ix: number[] = [];
          for (const ref of refs) {
            if (repairImages.length >= caps.maxInputImages) break;
            repairImages.push({ data: ref, mimeType: mimeOf(ref) });
            ix.push(repairImages.length);
          }
          described.push({ position: single ? null : facePosition(t.box, width), imageIndices: ix });
        }
        const res = await provider.generate({ operation: 'edit', prompt: repairPrompt(described), images: repairImages, inputImageCount: 1, ...common, n: 1, signal: sig });
        if (res.images.length === 0) throw new ApiError(502, 'INTERNAL_ERROR', `Base model '${prep.baseModel}' returned no image.`);
        return fitAndEncode(res.images[0].data, target, format);
      };
      ports.shouldRepair = () => repairLedger.shouldRepair(prep.baseModel!);
    }
    const budget = attemptBudget(config.identityAttempts, (body as { identity_attempts?: number | null }).identity_attempts);
    const loop = await runIdentityLoop(ports, { outputs: num, budget, perCall: Math.max(1, caps.maxOutputsPerCall), signal });
    for (const c of loop.candidates) repairLedger.record(prep.baseModel, c.fromRepair ? 'repair' : 'generation', c.passed);
    const outputs = loop.outputs.map((o) => o.image);
    return {
      format,
      outputs,
      knownSubjects: await knownSubjects(outputs, candidates, outputs.map((o) => analyses.get(o) ?? null)),
      identity: loop.outputs.map((o) => ({ passed: o.verdict?.passed ?? true, attempts: o.attempts, missing: o.verdict?.missing ?? [] })),
      baseModelCalls: loop.calls,
    };
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

