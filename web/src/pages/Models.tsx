// Base models: which are configured on this server and how to configure the others.
import { api, phota, type ModelInfo } from '../api';
import { ErrorBanner, Spinner, useAsync } from '../components/ui';

const HOW: Record<string, string> = {
  nb2: 'Set LIKENESS_GEMINI_API_KEY (Google Gemini API).',
  'nb-pro': 'Set LIKENESS_GEMINI_API_KEY (Google Gemini API).',
  'gpt-image-2': 'Set LIKENESS_OPENAI_API_KEY, or LIKENESS_OPENAI_BASE_URL for an OpenAI-compatible server.',
  'flux-2': 'Set LIKENESS_FAL_KEY (fal.ai), or serve it from your GPU with ComfyUI.',
  'qwen-image-2': 'Set LIKENESS_FAL_KEY (fal.ai).',
  reve: 'Set LIKENESS_FAL_KEY (fal.ai).',
};

export function Models() {
  const { data, error, loading, reload } = useAsync((signal) => api<{ models: ModelInfo[]; enhance: { local: boolean; base_model: string | null } }>('GET', phota('/models'), undefined, { signal }), []);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Models</h1>
          <p>Base models for edit, generate and remix. Keys are set by the operator as environment variables, then the server restarted.</p>
        </div>
      </div>
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {loading && !data ? <Spinner label="Loading models" /> : null}
      {data ? (
        <div class="stack">
          <div class="banner ok">
            Enhance runs {data.enhance.local ? 'locally on this server (no base model needed).' : `through ${data.enhance.base_model}.`}
          </div>
          <div class="models">
            {data.models.map((m) => (
              <article class="panel stack" style={{ gap: 8 }} key={m.id} aria-labelledby={`model-${m.id}`}>
                <div class="row" style={{ justifyContent: 'space-between' }}>
                  <h2 id={`model-${m.id}`} style={{ margin: 0 }}>
                    {m.display_name}
                  </h2>
                  <span class={`badge ${m.configured ? 'ok' : ''}`}>{m.configured ? 'configured' : 'not configured'}</span>
                </div>
                <div class="meta">
                  <code>{m.id}</code> · {m.operations.join(', ')} · {m.resolutions.join('/')} · up to {m.max_input_images} input images
                </div>
                {!m.configured ? <p class="hint">{HOW[m.id] ?? 'Map it to a ComfyUI workflow with LIKENESS_COMFYUI_URL and LIKENESS_COMFYUI_WORKFLOWS.'}</p> : null}
              </article>
            ))}
          </div>
          <p class="hint">Your own GPU: LIKENESS_COMFYUI_URL and LIKENESS_COMFYUI_WORKFLOWS map any base_model id to a ComfyUI workflow (see providers/comfyui/README.md).</p>
        </div>
      ) : null}
    </>
  );
}
