// Profiles: a grid with pictures, status and training progress; filter by tag; create one
// from dropped local files or pasted URLs.
import { useState } from 'preact/hooks';
import { api, phota, uploadFile, TERMINAL, type Profile } from '../api';
import { navigate } from '../router';
import { useProfiles, refreshProfiles } from '../profiles-data';
import { Badge, Empty, ErrorBanner, ProfilePicture, ProgressBar, formatTime } from '../components/ui';

const STATUS_TEXT: Record<string, string> = {
  VALIDATING: 'Checking photos',
  QUEUING: 'Waiting for a worker',
  IN_PROGRESS: 'Training',
  READY: 'Ready',
  ERROR: 'Failed',
  INACTIVE: 'Inactive',
};

function ProfileCard({ p }: { p: Profile }) {
  const accepted = p.images?.filter((i) => i.accepted).length;
  return (
    <a class="card" href={`#/profiles/${p.profile_id}`} aria-label={`Profile ${p.tag ?? p.profile_id}, ${STATUS_TEXT[p.status]}`} data-testid="profile-card">
      <div class="pic">
        <ProfilePicture id={p.profile_id} ready={p.status === 'READY'} alt={`Profile picture of ${p.tag ?? p.profile_id}`} />
      </div>
      <div class="body">
        <div class="title">
          <span>{p.tag ?? 'Untagged'}</span>
          <Badge status={p.status} />
        </div>
        {!TERMINAL.includes(p.status) ? <ProgressBar value={p.progress} label={`Training progress of ${p.tag ?? p.profile_id}`} /> : null}
        <div class="meta">
          <span class="mono">{p.profile_id.slice(0, 10)}…</span> · {p.subject ? `${p.subject} · ` : ''}
          {accepted !== undefined ? `${accepted}/${p.images!.length} photos` : `${p.image_count} photos`} · {formatTime(p.created_at)}
        </div>
        {p.status === 'ERROR' && p.message ? <div class="meta" style={{ color: 'var(--bad)' }}>{p.message}</div> : null}
      </div>
    </a>
  );
}

export function Profiles() {
  const { profiles, error, loaded } = useProfiles();
  const [tag, setTag] = useState('');
  const shown = tag ? profiles.filter((p) => p.tag === tag) : profiles;
  const tags = [...new Set(profiles.map((p) => p.tag).filter((t): t is string => !!t))].sort();
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Profiles</h1>
          <p>People and pets Likeness knows. Mention them in Studio prompts as @name.</p>
        </div>
        <div class="row">
          <label class="sr-only" for="tag-filter">
            Filter by tag
          </label>
          <select id="tag-filter" value={tag} onChange={(e) => setTag(e.currentTarget.value)} style={{ width: 'auto' }}>
            <option value="">All tags</option>
            {tags.map((t) => (
              <option value={t} key={t}>
                {t}
              </option>
            ))}
          </select>
          <a class="btn primary" href="#/profiles/new">
            + New profile
          </a>
        </div>
      </div>
      {error ? <ErrorBanner error={error} onRetry={refreshProfiles} /> : null}
      {!loaded ? (
        <div class="cards" aria-busy="true" aria-label="Loading profiles">
          {[0, 1, 2, 3].map((i) => (
            <div class="card" key={i}>
              <div class="pic skeleton" />
              <div class="body">
                <div class="skeleton" style={{ height: 16 }} />
                <div class="skeleton" style={{ height: 12, width: '60%' }} />
              </div>
            </div>
          ))}
        </div>
      ) : shown.length === 0 ? (
        <Empty title={tag ? `No profiles tagged “${tag}”` : 'No profiles yet'}>
          <p>Train one from 5–50 photos of a person or a pet: drop them in, Likeness checks each photo and tells you which to replace.</p>
          <a class="btn primary" href="#/profiles/new">
            Create your first profile
          </a>
        </Empty>
      ) : (
        <div class="cards">
          {shown.map((p) => (
            <ProfileCard p={p} key={p.profile_id} />
          ))}
        </div>
      )}
    </>
  );
}

export function NewProfile() {
  const [files, setFiles] = useState<Array<{ file: File; url: string }>>([]);
  const [urls, setUrls] = useState('');
  const [tag, setTag] = useState('');
  const [tier, setTier] = useState<'auto' | 'standard' | 'fast'>('auto');
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const pasted = urls.split(/\s+/).filter((u) => /^https?:\/\//.test(u));
  const count = files.length + pasted.length;
  const chosenTier = tier === 'auto' ? (count < 10 ? 'fast' : 'standard') : tier;
  const [min, max] = chosenTier === 'fast' ? [5, 10] : [10, 50];
  const add = (list: FileList | null) => {
    if (!list) return;
    const images = [...list].filter((f) => f.type.startsWith('image/') || /\.(heic|heif)$/i.test(f.name));
    setFiles((fs) => [...fs, ...images.map((file) => ({ file, url: URL.createObjectURL(file) }))]);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const image_urls: string[] = [];
      for (const [i, f] of files.entries()) {
        setBusy(`Uploading photo ${i + 1} of ${files.length}…`);
        image_urls.push((await uploadFile(f.file)).url);
      }
      image_urls.push(...pasted);
      setBusy('Starting training…');
      const body: Record<string, unknown> = { image_urls, training_tier: chosenTier };
      if (tag.trim()) body.tag = tag.trim();
      const { profile_id } = await api<{ profile_id: string }>('POST', phota('/profiles/add'), body);
      await refreshProfiles();
      navigate(`/profiles/${profile_id}`);
    } catch (err) {
      setError(err);
      setBusy(null);
    }
  };
  return (
    <>
      <div class="page-head">
        <div>
          <h1>New profile</h1>
          <p>5–10 photos for the fast tier, 10–50 for standard. Different days, angles and light work best.</p>
        </div>
        <a class="btn" href="#/profiles">
          Cancel
        </a>
      </div>
      <form class="stack" onSubmit={submit}>
        <div
          class={`dropzone ${over ? 'over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            add(e.dataTransfer?.files ?? null);
          }}
        >
          <p>
            <strong>Drag photos here</strong> or{' '}
            <label for="photo-files" class="btn small" style={{ display: 'inline-flex' }}>
              choose files
            </label>
          </p>
          <input id="photo-files" class="sr-only" type="file" accept="image/*,.heic,.heif" multiple onChange={(e) => add(e.currentTarget.files)} />
          <p class="hint">JPEG, PNG, WebP, AVIF, HEIC, TIFF or GIF, up to 25 MB each. Files are kept 24 h for training, then deleted.</p>
        </div>
        {files.length ? (
          <div class="thumbs" aria-label={`${files.length} photos chosen`}>
            {files.map((f, i) => (
              <div class="thumb" key={f.url}>
                <img src={f.url} alt={f.file.name} />
                <button type="button" class="btn small" aria-label={`Remove ${f.file.name}`} onClick={() => setFiles((fs) => fs.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </div>
            ))}
          </div>
        ) : null}
        <div class="field">
          <label for="photo-urls">Or paste photo URLs</label>
          <textarea id="photo-urls" placeholder="https://example.com/me1.jpg (one per line)" value={urls} onInput={(e) => setUrls(e.currentTarget.value)} />
        </div>
        <div class="grid-form">
          <div class="field">
            <label for="profile-tag">Tag</label>
            <input id="profile-tag" type="text" placeholder="e.g. alice" maxLength={128} value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="profile-tier">Training tier</label>
            <select id="profile-tier" value={tier} onChange={(e) => setTier(e.currentTarget.value as typeof tier)}>
              <option value="auto">Automatic ({count < 10 ? 'fast' : 'standard'})</option>
              <option value="fast">Fast (5–10 photos)</option>
              <option value="standard">Standard (10–50 photos)</option>
            </select>
          </div>
        </div>
        <div class="row">
          <button class="btn primary" type="submit" disabled={!!busy || count < min || count > max}>
            {busy ?? `Train from ${count} photo${count === 1 ? '' : 's'}`}
          </button>
          <span class="hint" aria-live="polite">
            {count < min ? `Add ${min - count} more photo${min - count === 1 ? '' : 's'} (the ${chosenTier} tier needs ${min}–${max}).` : count > max ? `Too many photos for the ${chosenTier} tier (at most ${max}).` : ''}
          </span>
        </div>
        {error ? <ErrorBanner error={error} /> : null}
      </form>
    </>
  );
}
