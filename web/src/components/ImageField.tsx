// An image input of a studio form: a local file (uploaded at once to /uploads, whose signed
// URL becomes the value) or a pasted http(s) URL.
import { useState } from 'preact/hooks';
import { uploadFile } from '../api';

export function ImageField({ id, label, value, onChange, onRemove }: { id: string; label: string; value: string; onChange: (v: string) => void; onRemove?: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const pick = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setPreview(URL.createObjectURL(file));
    try {
      onChange((await uploadFile(file)).url);
    } catch (e) {
      setError((e as Error).message);
      onChange('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="field image-input" role="group" aria-labelledby={`${id}-label`}>
      <span class="label" id={`${id}-label`}>
        {label}
      </span>
      <div class="preview">
        {preview || /^https?:/.test(value) ? <img src={preview ?? value} alt="" /> : null}
        <label class="btn small file-btn">
          {preview ? 'Choose another file' : 'Choose a file'}
          <input
            id={`${id}-file`}
            class="sr-only"
            type="file"
            accept="image/*"
            aria-label={`${label}: choose a file`}
            aria-describedby={`${id}-state`}
            onChange={(e) => pick(e.currentTarget.files?.[0])}
          />
        </label>
        {onRemove ? (
          <button type="button" class="btn small" onClick={onRemove} aria-label={`Remove ${label}`}>
            Remove
          </button>
        ) : null}
      </div>
      <input
        type="url"
        id={`${id}-url`}
        aria-label={`${label}: or paste an image URL`}
        placeholder="…or paste an image URL"
        value={value.includes('/v1/phota/uploads/') ? '' : value}
        onInput={(e) => {
          setPreview(null);
          onChange(e.currentTarget.value);
        }}
      />
      <span class="hint" id={`${id}-state`} aria-live="polite">
        {busy ? 'Uploading…' : error ? <span style={{ color: 'var(--bad)' }}>{error}</span> : value.includes('/v1/phota/uploads/') ? 'Uploaded (kept 24 h).' : ''}
      </span>
    </div>
  );
}
