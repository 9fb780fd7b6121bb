// The OpenAPI 3.1 document served at /v1/phota/openapi.json, built from the same TypeBox
// schemas that validate requests, with the hosted API's operation ids and component names.
import * as S from '../contract/schemas.js';

type Op = {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  operationId: string;
  tag: 'Studio' | 'Profiles' | 'Jobs' | 'Account' | 'Meta';
  summary: string;
  body?: string;
  ok: string | { contentType: string };
  accepted?: boolean;
  params?: string[];
  query?: Array<{ name: string; description: string }>;
  auth?: boolean;
  /** The body is image bytes or multipart, not JSON (uploads). */
  rawBody?: boolean;
};

const OPS: Op[] = [
  { method: 'post', path: '/v1/phota/edit', operationId: 'edit_v1_phota_edit_post', tag: 'Studio', summary: 'Edit images, preserving identities', body: 'EditRequest', ok: 'EditResponse', accepted: true },
  { method: 'post', path: '/v1/phota/generate', operationId: 'generate_v1_phota_generate_post', tag: 'Studio', summary: 'Generate images; name people as [[profile_id]]', body: 'GenerateRequest', ok: 'EditResponse', accepted: true },
  { method: 'post', path: '/v1/phota/enhance', operationId: 'enhance_v1_phota_enhance_post', tag: 'Studio', summary: 'Enhance one photo', body: 'EnhanceRequest', ok: 'EditResponse', accepted: true },
  { method: 'post', path: '/v1/phota/remix', operationId: 'remix_v1_phota_remix_post', tag: 'Studio', summary: 'Restyle a photo after a reference image', body: 'RemixRequest', ok: 'EditResponse', accepted: true },
  { method: 'get', path: '/v1/phota/jobs/{job_id}', operationId: 'get_job_v1_phota_jobs__job_id__get', tag: 'Jobs', summary: 'Poll an async job', ok: 'JobResponse', params: ['job_id'] },
  { method: 'post', path: '/v1/phota/profiles/add', operationId: 'add_profile_v1_phota_profiles_add_post', tag: 'Profiles', summary: 'Create a profile and start training', body: 'AddProfileRequest', ok: 'AddProfileResponse' },
  { method: 'get', path: '/v1/phota/profiles/ids', operationId: 'get_profile_ids_v1_phota_profiles_ids_get', tag: 'Profiles', summary: 'List profile ids, newest first', ok: 'ProfileIdsResponse', query: [{ name: 'tag', description: 'Exact tag filter.' }, { name: 'limit', description: 'Page size 1–1000 (extension).' }, { name: 'cursor', description: 'next_cursor of the previous page (extension).' }] },
  { method: 'get', path: '/v1/phota/profiles/{profile_id}/status', operationId: 'get_profile_status_v1_phota_profiles__profile_id__status_get', tag: 'Profiles', summary: 'Training status, progress and per-photo report', ok: 'ProfileStatusResponse', params: ['profile_id'] },
  { method: 'get', path: '/v1/phota/profiles/{profile_id}/profile_picture', operationId: 'get_profile_picture_v1_phota_profiles__profile_id__profile_picture_get', tag: 'Profiles', summary: 'The profile picture (JPEG)', ok: { contentType: 'image/jpeg' }, params: ['profile_id'] },
  { method: 'delete', path: '/v1/phota/profiles/{profile_id}', operationId: 'delete_profile_v1_phota_profiles__profile_id__delete', tag: 'Profiles', summary: 'Delete a profile and all its data', ok: 'DeleteProfileResponse', params: ['profile_id'] },
  { method: 'get', path: '/v1/phota/webhook-secret', operationId: 'get_webhook_secret_v1_phota_webhook_secret_get', tag: 'Account', summary: 'Secret that signs callbacks (X-Phota-Signature)', ok: 'WebhookSecretResponse' },
  { method: 'post', path: '/v1/phota/webhook-secret/rotate', operationId: 'rotate_webhook_secret', tag: 'Account', summary: 'Rotate the secret; the old one signs for 24 h more (extension)', ok: 'WebhookSecretResponse' },
  { method: 'get', path: '/v1/phota/webhook', operationId: 'get_webhook', tag: 'Account', summary: 'Account webhook for profile events (extension)', ok: 'WebhookConfig' },
  { method: 'put', path: '/v1/phota/webhook', operationId: 'put_webhook', tag: 'Account', summary: 'Set the account webhook URL (extension)', body: 'WebhookConfigRequest', ok: 'WebhookConfig' },
  { method: 'delete', path: '/v1/phota/webhook', operationId: 'delete_webhook', tag: 'Account', summary: 'Remove the account webhook (extension)', ok: 'WebhookConfig' },
  { method: 'post', path: '/v1/phota/recognize', operationId: 'recognize', tag: 'Studio', summary: 'Who of the given profiles is in this photo (extension)', body: 'RecognizeRequest', ok: 'RecognizeResponse' },
  { method: 'post', path: '/v1/phota/uploads', operationId: 'upload', tag: 'Profiles', summary: 'Upload a local image (raw image/* or multipart "file"); returns a signed URL this account can use as any image input for 24 h (extension)', ok: 'UploadResponse', rawBody: true },
  { method: 'get', path: '/v1/likeness/me', operationId: 'whoami', tag: 'Meta', summary: 'This key: account, admin flag, credits (extension)', ok: { contentType: 'application/json' } },
  { method: 'get', path: '/v1/likeness/profiles', operationId: 'list_profiles_detailed', tag: 'Profiles', summary: 'Profiles with status, tag and tier in one call (extension)', ok: { contentType: 'application/json' }, query: [{ name: 'tag', description: 'Exact tag filter.' }, { name: 'limit', description: '1–200' }, { name: 'cursor', description: 'next_cursor of the previous page.' }] },
  { method: 'get', path: '/v1/likeness/jobs', operationId: 'list_jobs', tag: 'Jobs', summary: "This account's recent async jobs, newest first (extension)", ok: { contentType: 'application/json' }, query: [{ name: 'limit', description: '1–200' }] },
  { method: 'get', path: '/v1/likeness/keys', operationId: 'list_keys', tag: 'Account', summary: 'Every API key (admin keys only; extension)', ok: { contentType: 'application/json' } },
  { method: 'delete', path: '/v1/likeness/keys/{key_id}', operationId: 'revoke_key', tag: 'Account', summary: 'Revoke a key (admin keys only; extension)', ok: { contentType: 'application/json' }, params: ['key_id'] },
  { method: 'get', path: '/v1/phota/models', operationId: 'list_models', tag: 'Meta', summary: 'Base models, capabilities and whether each is configured', ok: 'ModelsResponse' },
  { method: 'get', path: '/v1/phota/', operationId: 'root', tag: 'Meta', summary: 'Key check', ok: 'RootResponse' },
  { method: 'get', path: '/v1/phota/openapi.json', operationId: 'openapi', tag: 'Meta', summary: 'This document', ok: { contentType: 'application/json' }, auth: false },
];

const err = (description: string, schema = 'PhotaError') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});

function stripIds(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema, (k, v) => (k === '$id' ? undefined : v)), (k, v) =>
    v && typeof v === 'object' && typeof v.$ref === 'string' && !v.$ref.startsWith('#') ? { $ref: `#/components/schemas/${v.$ref}` } : v,
  );
}

export function buildOpenApi(version: string): object {
  const schemas: Record<string, unknown> = {
    EditRequest: S.EditRequest,
    GenerateRequest: S.GenerateRequest,
    EnhanceRequest: S.EnhanceRequest,
    RemixRequest: S.RemixRequest,
    AddProfileRequest: S.AddProfileRequest,
    RecognizeRequest: S.RecognizeRequest,
    WebhookConfigRequest: S.WebhookConfigRequest,
    EditResponse: S.EditResponse,
    JobHandle: S.JobHandle,
    JobResponse: S.JobResponse,
    AddProfileResponse: S.AddProfileResponse,
    ProfileIdsResponse: S.ProfileIdsResponse,
    ProfileStatusResponse: S.ProfileStatusResponse,
    DeleteProfileResponse: S.DeleteProfileResponse,
    RecognizeResponse: S.RecognizeResponse,
    PhotaError: S.PhotaError,
    HTTPValidationError: S.HTTPValidationError,
    WebhookSecretResponse: { type: 'object', properties: { webhook_secret: { type: 'string' } }, required: ['webhook_secret'] },
    WebhookConfig: { type: 'object', properties: { url: { type: ['string', 'null'] }, events: { type: 'array', items: { type: 'string' } } } },
    ModelsResponse: { type: 'object', properties: { models: { type: 'array', items: { type: 'object' } } } },
    UploadResponse: {
      type: 'object',
      properties: { url: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' }, upload_id: { type: 'string' }, content_type: { type: 'string' }, bytes: { type: 'integer' }, width: { type: 'integer' }, height: { type: 'integer' } },
      required: ['url', 'expires_at'],
    },
    RootResponse: { type: 'object', properties: { service: { type: 'string' }, version: { type: 'string' }, account_id: { type: 'string' } } },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) {
    const responses: Record<string, unknown> = {
      '200':
        typeof op.ok === 'string'
          ? { description: 'Successful Response', content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.ok}` } } } }
          : { description: 'Successful Response', content: { [op.ok.contentType]: {} } },
    };
    // Studio answers (issue #12): every base-model call the request took, retries and repairs included.
    if (op.tag === 'Studio' && op.accepted && typeof op.ok === 'string') {
      (responses['200'] as Record<string, unknown>).headers = {
        'X-Likeness-Base-Model-Calls': { description: 'Extension: base-model calls made for this request (0 for local work).', schema: { type: 'integer' } },
      };
    }
    if (op.accepted) responses['202'] = { description: 'Async job accepted; poll job_id at poll_url.', content: { 'application/json': { schema: { $ref: '#/components/schemas/JobHandle' } } } };
    if (op.body || op.rawBody) responses['400'] = err('Invalid request or content moderation violation.');
    if (op.auth !== false) {
      responses['401'] = err('Invalid API key in the X-API-Key header.');
      responses['403'] = err('Missing X-API-Key header (no API key provided).');
    }
    responses['404'] = err('Resource not found.');
    if (op.body || op.query) responses['422'] = err('Validation Error', 'HTTPValidationError');
    responses['500'] = err('Internal error.');
    if (op.tag === 'Studio') {
      responses['503'] = err('Service temporarily unavailable (base model not configured, or queue full).');
      responses['504'] = err('A synchronous request exceeded its time limit.');
    }
    const parameters = [
      ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: { type: 'string' } })),
    ];
    (paths[op.path] ??= {})[op.method] = {
      tags: [op.tag],
      summary: op.summary,
      operationId: op.operationId,
      ...(op.auth === false ? { security: [] } : { security: [{ APIKeyHeader: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(op.rawBody
        ? {
            requestBody: {
              required: true,
              content: {
                'image/*': { schema: { type: 'string', format: 'binary' } },
                'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } },
              },
            },
          }
        : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Phota API',
      description: 'Create and manage profiles for photo editing and enhancement. Served by Likeness, a self-hosted implementation.',
      version,
    },
    servers: [{ url: '/' }],
    security: [],
    tags: [
      { name: 'Studio', description: 'Image editing, generation, and enhancement.' },
      { name: 'Profiles', description: 'Profile lifecycle: create, query, delete.' },
    ],
    paths,
    components: {
      schemas: stripIds(schemas),
      securitySchemes: { APIKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    },
  };
}
