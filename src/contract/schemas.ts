// TypeBox schemas of every request and response: the single source for validation, the
// TypeScript types and the OpenAPI document. Field names, enums and limits follow the Phota
// contract (shared/spec/phota-api.md) and decisions.md. Unknown request fields are ignored
// (no additionalProperties: false), as clients still send the legacy `pro_mode`.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Optional field that also accepts an explicit null (pydantic `X | None`). */
function Nullable<T extends TSchema>(schema: T, extra: Record<string, unknown> = {}) {
  const s = schema as unknown as { type?: string; enum?: unknown[] };
  const nullable = {
    ...schema,
    ...extra,
    type: [s.type, 'null'],
    ...(s.enum ? { enum: [...s.enum, null] } : {}),
  };
  return Type.Unsafe<Static<T> | null>(nullable);
}

/** An object whose fields are optional except `required` (TypeBox marks all required by default). */
function Obj<P extends Record<string, TSchema>>(props: P, required: (keyof P & string)[], opts: Record<string, unknown>) {
  const wrapped: Record<string, TSchema> = {};
  for (const [k, v] of Object.entries(props)) wrapped[k] = required.includes(k) ? v : Type.Optional(v);
  return Type.Object(wrapped as { [K in keyof P]: P[K] }, opts);
}

const StringEnum = <T extends string[]>(values: [...T], opts: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: values, ...opts });

// The contract's five, plus 'nb-pro' (Nano Banana Pro), an additive extension.
export const BASE_MODELS = ['flux-2', 'gpt-image-2', 'nb2', 'qwen-image-2', 'reve', 'nb-pro'] as const;
export const ASPECT_RATIOS = ['auto', '1:1', '3:4', '4:3', '9:16', '16:9'] as const;
export const RESOLUTIONS = ['1K', '2K', '4K'] as const;
export const QUALITIES = ['auto', 'low', 'medium', 'high'] as const;
export const MAX_PROMPT = 8000;

const ImageInput = Type.String({
  minLength: 1,
  description: 'Raw base64, a data: URI, or an http(s) URL of a JPEG/PNG/WebP/AVIF/HEIC/HEIF/TIFF/GIF image.',
});
const ProfileIds = Nullable(
  Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 50 }),
  { description: 'Candidate profiles for identity preservation. [[id]] references in the prompt are merged in.' },
);
const NumOutputs = Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'Number of output images.' });
const OutputFormat = StringEnum(['png', 'jpg'], { default: 'jpg', description: 'Output encoding.' });
const ResponseMode = StringEnum(['bytes', 'urls'], {
  default: 'bytes',
  description: 'bytes: base64 in `images`; urls: signed URLs (24 h) in `download_urls`.',
});
// Extension (issue #12): lowers the server's identity attempt budget for this request.
const IdentityAttempts = Type.Integer({
  minimum: 1,
  maximum: 8,
  description:
    'Extension: base-model attempts per output until every required person is recognised (default and cap: LIKENESS_IDENTITY_ATTEMPTS, 3). 1 disables retries.',
});
const AsyncFields = {
  async: Type.Boolean({ default: false, description: 'Run as a background job; answers 202 with a JobHandle.' }),
  callback_url: Nullable(Type.String({ minLength: 1, maxLength: 2048 }), {
    description: 'HTTPS URL POSTed (signed, X-Phota-Signature) when the job finishes. Only with async: true.',
  }),
  client_request_id: Nullable(Type.String({ minLength: 1, maxLength: 256 }), {
    description: 'Idempotency key for async submits: the same key and body return the original job.',
  }),
};

export const EditRequest = Obj(
  {
    prompt: Type.String({ minLength: 1, maxLength: MAX_PROMPT, description: 'Edit instruction; may contain [[profile_id]].' }),
    images: Type.Array(ImageInput, { minItems: 1, maxItems: 10 }),
    profile_ids: ProfileIds,
    num_output_images: NumOutputs,
    aspect_ratio: StringEnum([...ASPECT_RATIOS], { default: 'auto' }),
    resolution: StringEnum([...RESOLUTIONS], { default: '1K' }),
    quality: Nullable(StringEnum([...QUALITIES]), { description: 'gpt-image-2 only; any other model → 400.' }),
    base_model: StringEnum([...BASE_MODELS], { default: 'nb2' }),
    output_format: OutputFormat,
    response_mode: ResponseMode,
    identity_attempts: IdentityAttempts,
    ...AsyncFields,
  },
  ['prompt', 'images'], { $id: 'EditRequest' },
);

export const GenerateRequest = Obj(
  {
    prompt: Type.String({ minLength: 1, maxLength: MAX_PROMPT, description: 'Scene description; name people as [[profile_id]].' }),
    num_output_images: NumOutputs,
    aspect_ratio: StringEnum([...ASPECT_RATIOS], { default: 'auto' }),
    resolution: StringEnum([...RESOLUTIONS], { default: '1K' }),
    quality: Nullable(StringEnum([...QUALITIES])),
    base_model: StringEnum([...BASE_MODELS], { default: 'nb2' }),
    output_format: OutputFormat,
    response_mode: ResponseMode,
    identity_attempts: IdentityAttempts,
    ...AsyncFields,
  },
  ['prompt'], { $id: 'GenerateRequest' },
);

export const EnhanceRequest = Obj(
  {
    image: ImageInput,
    profile_ids: ProfileIds,
    num_output_images: NumOutputs,
    output_format: OutputFormat,
    response_mode: ResponseMode,
    prompt: Nullable(Type.String({ maxLength: MAX_PROMPT }), { description: 'Optional guidance, e.g. "brighter", "warmer".' }),
    identity_attempts: IdentityAttempts,
    ...AsyncFields,
  },
  ['image'], { $id: 'EnhanceRequest' },
);

export const RemixRequest = Obj(
  {
    input_image: ImageInput,
    reference_image: ImageInput,
    profile_ids: ProfileIds,
    prompt: Nullable(Type.String({ maxLength: MAX_PROMPT })),
    num_output_images: NumOutputs,
    output_format: OutputFormat,
    response_mode: ResponseMode,
    identity_attempts: IdentityAttempts,
    ...AsyncFields,
  },
  ['input_image', 'reference_image'], { $id: 'RemixRequest' },
);

export const AddProfileRequest = Obj(
  {
    image_urls: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 5,
      maxItems: 50,
      description: 'Public URLs of 5–50 photos (standard tier: 10–50, fast: 5–10).',
    }),
    training_tier: StringEnum(['standard', 'fast'], { default: 'standard' }),
    tag: Nullable(Type.String({ minLength: 1, maxLength: 128 }), { description: 'Immutable tag, e.g. your end-user id.' }),
  },
  ['image_urls'], { $id: 'AddProfileRequest' },
);

export const RecognizeRequest = Obj(
  {
    image: ImageInput,
    profile_ids: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 20 }),
  },
  ['image', 'profile_ids'], { $id: 'RecognizeRequest' },
);

export const WebhookConfigRequest = Obj(
  { url: Type.String({ minLength: 1, maxLength: 2048 }) },
  ['url'], { $id: 'WebhookConfigRequest' },
);

export const ProfileIdsQuery = Type.Object({
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'Page size 1–1000 (extension).' })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

// ---- responses (documented in the OpenAPI document) ----
/** Extension (decisions.md, "Pets"): the kind of subject a profile or a recognised face/animal is. */
const SubjectKind = (opts: Record<string, unknown> = {}) => StringEnum(['person', 'cat', 'dog'], opts);

const BoxSchema = Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: '[x, y, width, height] in pixels' });

export const EditResponse = Type.Object(
  {
    images: Type.Array(Type.String()),
    download_urls: Type.Array(Type.String()),
    known_subjects: Type.Object({
      counts: Type.Record(Type.String(), Type.Integer()),
      matches: Type.Array(
        Type.Object({
          image_index: Type.Integer(),
          profile_id: Type.String(),
          similarity: Type.Number(),
          box: BoxSchema,
          kind: SubjectKind({ description: 'Extension: person, cat or dog (the profile\'s subject).' }),
        }),
        { description: 'Extension: one entry per recognised face (or pet) in each output.' },
      ),
    }),
    identity: Type.Optional(
      Type.Array(
        Type.Object({
          passed: Type.Boolean({ description: 'Every required subject recognised, one-to-one, at or above its threshold.' }),
          attempts: Type.Integer({ minimum: 0, description: 'Base-model attempts (generations and repairs) spent on this output.' }),
          missing: Type.Array(Type.String(), { description: 'Required profile ids not recognised in this output.' }),
        }),
        {
          description:
            'Extension: one entry per returned image, in order. Required subjects are the [[id]] references and, for /edit, /remix and /enhance, the candidates recognised in the inputs.',
        },
      ),
    ),
  },
  { $id: 'EditResponse' },
);

export const JobHandle = Type.Object(
  { job_id: Type.String(), status: Type.String(), poll_url: Type.String() },
  { $id: 'JobHandle' },
);

export const JobResponse = Type.Object(
  {
    job_id: Type.String(),
    status: StringEnum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED']),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    result: Type.Union([Type.Ref('EditResponse'), Type.Null()]),
    error: Type.Union([Type.Object({ detail: Type.String(), code: Type.String() }), Type.Null()]),
  },
  { $id: 'JobResponse' },
);

export const AddProfileResponse = Type.Object({ profile_id: Type.String() }, { $id: 'AddProfileResponse' });
export const ProfileIdsResponse = Type.Object(
  { profiles: Type.Array(Type.String()), next_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])) },
  { $id: 'ProfileIdsResponse' },
);
export const ProfileStatusResponse = Type.Object(
  {
    profile_id: Type.String(),
    status: StringEnum(['VALIDATING', 'QUEUING', 'IN_PROGRESS', 'READY', 'ERROR', 'INACTIVE']),
    message: Type.Union([Type.String(), Type.Null()]),
    progress: Type.Number({ description: 'Extension: 0–1.' }),
    images: Type.Union([
      Type.Array(Type.Object({ url: Type.String(), accepted: Type.Boolean(), reasons: Type.Array(Type.String()) })),
      Type.Null(),
    ]),
    subject: Type.Optional(SubjectKind({ description: 'Extension: who the profile is of, once training has decided it.' })),
  },
  { $id: 'ProfileStatusResponse' },
);
export const DeleteProfileResponse = Type.Object(
  { profile_id: Type.String(), status: Type.String() },
  { $id: 'DeleteProfileResponse' },
);
export const RecognizeResponse = Type.Object(
  {
    faces: Type.Array(
      Type.Object({
        box: BoxSchema,
        profile_id: Type.Union([Type.String(), Type.Null()]),
        similarity: Type.Number(),
        kind: SubjectKind({ description: 'Extension: a person\'s face, a cat or a dog.' }),
      }),
    ),
  },
  { $id: 'RecognizeResponse' },
);
export const PhotaError = Type.Object(
  { detail: Type.String(), code: Type.String(), request_id: Type.String() },
  { $id: 'PhotaError' },
);
export const HTTPValidationError = Type.Object(
  {
    detail: Type.Array(
      Type.Object({
        loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
        msg: Type.String(),
        type: Type.String(),
      }),
    ),
  },
  { $id: 'HTTPValidationError' },
);

export type EditRequestT = Static<typeof EditRequest>;
export type GenerateRequestT = Static<typeof GenerateRequest>;
export type EnhanceRequestT = Static<typeof EnhanceRequest>;
export type RemixRequestT = Static<typeof RemixRequest>;
export type AddProfileRequestT = Static<typeof AddProfileRequest>;
export type RecognizeRequestT = Static<typeof RecognizeRequest>;
export type StudioResponse = Static<typeof EditResponse>;
export type StudioRequest = EditRequestT | GenerateRequestT | EnhanceRequestT | RemixRequestT;
