// Studio: edit, generate, enhance and remix with every contract option. Results show each
// recognised face boxed with its profile and similarity; async runs show a live job status.
import { useEffect, useState } from 'preact/hooks';
import { api, phota, type Job, type ModelInfo, type StudioResult } from '../api';
import { useProfiles } from '../profiles-data';
import { MentionInput } from '../components/MentionInput';
import { ImageField } from '../components/ImageField';
import { ResultView } from '../components/ResultView';
import { Badge, ErrorBanner, ProfilePicture, Spinner, useAsync } from '../components/ui';

type Op = 'edit' | 'generate' | 'enhance' | 'remix';
const OPS: Array<[Op, string, string]> = [
  ['generate', 'Generate', 'Create new images from a prompt; name people as @mentions.'],
  ['edit', 'Edit', 'Change photos with an instruction, keeping the people in them themselves.'],
  ['enhance', 'Enhance', 'Fix light, colour, sharpness and noise (runs locally, no base model needed).'],
  ['remix', 'Remix', 'Render the content of one photo in the style of another.'],
];
const ASPECTS = ['auto', '1:1', '3:4', '4:3', '9:16', '16:9'];
const RESOLUTIONS = ['1K', '2K', '4K'];
const QUALITIES = ['', 'auto', 'low', 'medium', 'high'];

interface Form {
  prompt: string;
  images: string[];
  image: string;
  input_image: string;
  reference_image: string;
  profile_ids: string[];
  num_output_images: number;
  aspect_ratio: string;
  resolution: string;
  quality: string;
  base_model: string;
  output_format: 'jpg' | 'png';
  response_mode: 'bytes' | 'urls';
  async: boolean;
  callback_url: string;
  client_request_id: string;
}

const initial = (mention: string | null): Form => ({
  prompt: mention ? `A portrait of [[${mention}]] ` : '',
  images: [''],
  image: '',
  input_image: '',
  reference_image: '',
  profile_ids: [],
  num_output_images: 1,
  aspect_ratio: 'auto',
  resolution: '1K',
  quality: '',
  base_model: 'nb2',
  output_format: 'jpg',
  response_mode: 'bytes',
  async: false,
  callback_url: '',
  client_request_id: '',
});

/** The request body of one operation from the form (only the fields that operation has). */
export function bodyFor(op: Op, f: Form): Record<string, unknown> {
  const b: Record<string, unknown> = { num_output_images: f.num_output_images, output_format: f.output_format, response_mode: f.async ? 'urls' : f.response_mode };
  if (f.async) {
    b.async = true;
    if (f.callback_url) b.callback_url = f.callback_url;
    if (f.client_request_id) b.client_request_id = f.client_request_id;
  }
  if (op === 'edit' || op === 'generate') {
    b.prompt = f.prompt;
    b.aspect_ratio = f.aspect_ratio;
    b.resolution = f.resolution;
    b.base_model = f.base_model;
    if (f.quality) b.quality = f.quality;
  } else if (f.prompt.trim()) b.prompt = f.prompt;
  if (op === 'edit') b.images = f.images.filter(Boolean);
  if (op === 'enhance') b.image = f.image;
  if (op === 'remix') {
    b.input_image = f.input_image;
    b.reference_image = f.reference_image;
  }
  if (op !== 'generate' && f.profile_ids.length) b.profile_ids = f.profile_ids;
  return b;
}

function Select({ id, label, value, options, onChange, hint, wide }: { id: string; label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void; hint?: string; wide?: boolean }) {
  return (
    <div class="field" style={wide ? { gridColumn: '1 / -1' } : undefined}>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, t]) => (
          <option value={v} key={v}>
            {t}
          </option>
        ))}
      </select>
      {hint ? <span class="hint">{hint}</span> : null}
    </div>
  );
}

export function Studio({ op: rawOp, query }: { op: string | undefined; query: URLSearchParams }) {
  const op: Op = (OPS.find(([o]) => o === rawOp)?.[0] ?? 'generate') as Op;
  const { profiles } = useProfiles();
  const models = useAsync((signal) => api<{ models: ModelInfo[]; enhance: { local: boolean } }>('GET', phota('/models'), undefined, { signal }), []);
  const [f, setF] = useState<Form>(() => initial(query.get('mention')));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<StudioResult | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((x) => ({ ...x, [k]: v }));
  const ready = profiles.filter((p) => p.status === 'READY');
  const capable = (models.data?.models ?? []).filter((m) => m.operations.includes(op));
  // Default to a model this server can actually run.
  useEffect(() => {
    const cur = capable.find((m) => m.id === f.base_model);
    const usable = capable.find((m) => m.configured);
    if (usable && !cur?.configured) set('base_model', usable.id);
  }, [models.data, op]);

  useEffect(() => {
    if (!job || job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
    const t = setTimeout(async () => {
      try {
        const j = await api<Job>('GET', phota(`/jobs/${job.job_id}`));
        setJob(j);
        if (j.status === 'SUCCEEDED') setResult(j.result);
        if (j.status === 'FAILED') setError({ code: j.error?.code, message: j.error?.detail });
      } catch (e) {
        setError(e);
      }
    }, 1000);
    return () => clearTimeout(t);
  }, [job]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    setJob(null);
    try {
      const res = await api<StudioResult | { job_id: string; status: Job['status'] }>('POST', phota(`/${op}`), bodyFor(op, f));
      if ('job_id' in res) setJob({ job_id: res.job_id, status: res.status, created_at: '', updated_at: '', result: null, error: null });
      else setResult(res);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const outputs = result ? (result.images.length ? result.images.map((b) => `data:image/${f.output_format === 'png' ? 'png' : 'jpeg'};base64,${b}`) : result.download_urls) : [];
  const working = busy || (job !== null && job.status !== 'SUCCEEDED' && job.status !== 'FAILED');
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Studio</h1>
          <p>{OPS.find(([o]) => o === op)![2]}</p>
        </div>
      </div>
      <nav class="tabs" role="tablist" aria-label="Studio operation">
        {OPS.map(([o, label]) => (
          <a key={o} role="tab" href={`#/studio/${o}`} aria-selected={o === op}>
            {label}
          </a>
        ))}
      </nav>
      <div class="studio">
        <form class="panel stack" onSubmit={submit} aria-label={`${op} request`}>
          {op === 'edit' ? (
            <div class="stack" style={{ gap: 10 }}>
              {f.images.map((v, i) => (
                <ImageField
                  key={i}
                  id={`edit-image-${i}`}
                  label={`Image ${i + 1}`}
                  value={v}
                  onChange={(nv) => set('images', f.images.map((x, j) => (j === i ? nv : x)))}
                  onRemove={f.images.length > 1 ? () => set('images', f.images.filter((_, j) => j !== i)) : undefined}
                />
              ))}
              {f.images.length < 10 ? (
                <button type="button" class="btn small" onClick={() => set('images', [...f.images, ''])}>
                  + Add image
                </button>
              ) : null}
            </div>
          ) : null}
          {op === 'enhance' ? <ImageField id="enhance-image" label="Photo to enhance" value={f.image} onChange={(v) => set('image', v)} /> : null}
          {op === 'remix' ? (
            <>
              <ImageField id="remix-input" label="Content photo" value={f.input_image} onChange={(v) => set('input_image', v)} />
              <ImageField id="remix-reference" label="Style reference" value={f.reference_image} onChange={(v) => set('reference_image', v)} />
            </>
          ) : null}
          <MentionInput
            id="studio-prompt"
            label={op === 'edit' || op === 'generate' ? 'Prompt' : 'Prompt (optional)'}
            value={f.prompt}
            onInput={(v) => set('prompt', v)}
            profiles={profiles}
            required={op === 'edit' || op === 'generate'}
            hint={op === 'enhance' ? 'Optional guidance such as “brighter” or “warmer”. Type @ to mention a profile.' : undefined}
          />
          {op !== 'generate' && ready.length ? (
            <fieldset class="field" style={{ border: 0, padding: 0, margin: 0 }}>
              <legend style={{ fontWeight: 600, fontSize: '0.9rem', marginBottom: 6 }}>Profiles to recognise and preserve</legend>
              <div class="chips">
                {ready.map((p) => {
                  const on = f.profile_ids.includes(p.profile_id);
                  return (
                    <button
                      type="button"
                      class="chip"
                      key={p.profile_id}
                      aria-pressed={on}
                      onClick={() => set('profile_ids', on ? f.profile_ids.filter((x) => x !== p.profile_id) : [...f.profile_ids, p.profile_id])}
                    >
                      <ProfilePicture id={p.profile_id} ready alt="" size={20} />
                      {p.tag ?? p.profile_id.slice(0, 8)}
                    </button>
                  );
                })}
              </div>
            </fieldset>
          ) : null}
          <div class="grid-form">
            {op === 'edit' || op === 'generate' ? (
              <>
                <Select
                  id="base-model"
                  wide
                  label="Base model"
                  value={f.base_model}
                  onChange={(v) => set('base_model', v)}
                  options={(capable.length ? capable : [{ id: 'nb2', display_name: 'Nano Banana 2', configured: false } as ModelInfo]).map((m) => [m.id, `${m.display_name}${m.configured ? '' : ' (not configured)'}`])}
                />
                <Select id="aspect" label="Aspect ratio" value={f.aspect_ratio} onChange={(v) => set('aspect_ratio', v)} options={ASPECTS.map((a) => [a, a])} />
                <Select id="resolution" label="Resolution" value={f.resolution} onChange={(v) => set('resolution', v)} options={RESOLUTIONS.map((r) => [r, r])} />
                <Select id="quality" label="Quality" value={f.quality} onChange={(v) => set('quality', v)} options={QUALITIES.map((q) => [q, q || 'default'])} hint="GPT Image only" />
              </>
            ) : null}
            <Select id="num-outputs" label="Outputs" value={String(f.num_output_images)} onChange={(v) => set('num_output_images', Number(v))} options={['1', '2', '3', '4'].map((n) => [n, n])} />
            <Select id="output-format" label="Format" value={f.output_format} onChange={(v) => set('output_format', v as Form['output_format'])} options={[['jpg', 'JPEG'], ['png', 'PNG']]} />
            <Select
              id="response-mode"
              label="Response"
              value={f.async ? 'urls' : f.response_mode}
              onChange={(v) => set('response_mode', v as Form['response_mode'])}
              options={[['bytes', 'Inline images'], ['urls', 'Download URLs (24 h)']]}
            />
          </div>
          <label class="check">
            <input type="checkbox" checked={f.async} onChange={(e) => set('async', e.currentTarget.checked)} /> Run in the background (async job)
          </label>
          {f.async ? (
            <div class="grid-form">
              <div class="field">
                <label for="callback-url">Callback URL</label>
                <input id="callback-url" type="url" placeholder="https://…" value={f.callback_url} onInput={(e) => set('callback_url', e.currentTarget.value)} />
              </div>
              <div class="field">
                <label for="client-request-id">Client request id</label>
                <input id="client-request-id" type="text" value={f.client_request_id} onInput={(e) => set('client_request_id', e.currentTarget.value)} />
              </div>
            </div>
          ) : null}
          <button class="btn primary" type="submit" disabled={working}>
            {working ? <Spinner label="Working" /> : null} {working ? 'Working…' : OPS.find(([o]) => o === op)![1]}
          </button>
        </form>
        <section aria-labelledby="results-title" class="stack">
          <h2 id="results-title" class="sr-only">
            Results
          </h2>
          <div aria-live="polite" class="live">
            {job ? (
              <div class="banner info" data-testid="job-status">
                <span>
                  Job <span class="mono">{job.job_id}</span>
                </span>
                <Badge status={job.status} />
              </div>
            ) : null}
          </div>
          {error ? <ErrorBanner error={error} /> : null}
          {outputs.length ? (
            <div class="results">
              {outputs.map((src, i) => (
                <ResultView key={src.slice(-40) + i} src={src} index={i} matches={result!.known_subjects.matches ?? []} profiles={profiles} format={f.output_format} />
              ))}
            </div>
          ) : !working && !error ? (
            <div class="empty">
              <h2>Results appear here</h2>
              <p>Every face Likeness recognises is boxed with its profile and identity similarity.</p>
            </div>
          ) : working && !job ? (
            <div class="empty" aria-busy="true">
              <Spinner label="Working" />
              <p>Working on it…</p>
            </div>
          ) : null}
        </section>
      </div>
    </>
  );
}
