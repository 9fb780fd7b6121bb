// One profile: status, live progress, and the per-photo report with thumbnails, the reason
// each photo was refused and what to do about it. Delete with confirmation.
import { useState } from 'preact/hooks';
import { api, phota, TERMINAL, type Profile } from '../api';
import { navigate } from '../router';
import { refreshProfiles } from '../profiles-data';
import { Badge, ErrorBanner, ProfilePicture, ProgressBar, Spinner, useAsync, useInterval, formatTime } from '../components/ui';
import { adviceFor } from '../../../src/client/advice';

export function ProfileDetail({ id }: { id: string }) {
  const { data: p, error, loading, reload } = useAsync<Profile>(async (signal) => {
    const all = await api<{ profiles: Profile[] }>('GET', `/v1/likeness/profiles?limit=200`, undefined, { signal });
    const found = all.profiles.find((x) => x.profile_id === id);
    if (found) return found;
    return { ...(await api<Profile>('GET', phota(`/profiles/${id}/status`), undefined, { signal })), tag: null, training_tier: 'standard', image_count: 0, created_at: new Date().toISOString() };
  }, [id]);
  useInterval(reload, 1000, !!p && !TERMINAL.includes(p.status));
  const [deleting, setDeleting] = useState(false);
  const [delError, setDelError] = useState<unknown>(null);
  const remove = async () => {
    if (!confirm(`Delete profile ${p?.tag ?? id}? Its photos, model and picture are removed for good.`)) return;
    setDeleting(true);
    try {
      await api('DELETE', phota(`/profiles/${id}`));
      await refreshProfiles();
      navigate('/profiles');
    } catch (e) {
      setDelError(e);
      setDeleting(false);
    }
  };
  if (!p && loading) return <Spinner label="Loading profile" />;
  if (!p) return <ErrorBanner error={error} onRetry={reload} />;
  const accepted = p.images?.filter((i) => i.accepted).length ?? 0;
  return (
    <>
      <div class="page-head">
        <a href="#/profiles">← Profiles</a>
        <button class="btn danger" onClick={remove} disabled={deleting}>
          {deleting ? 'Deleting…' : 'Delete profile'}
        </button>
      </div>
      <section class="panel detail-head" aria-labelledby="profile-title">
        <div class="pic">
          <ProfilePicture id={p.profile_id} ready={p.status === 'READY'} alt={`Profile picture of ${p.tag ?? p.profile_id}`} />
        </div>
        <div class="stack" style={{ gap: 10 }}>
          <div class="row">
            <h1 id="profile-title">{p.tag ?? 'Untagged profile'}</h1>
            <Badge status={p.status} />
          </div>
          <div class="meta">
            <span class="mono">{p.profile_id}</span> · {p.training_tier} tier{p.subject ? ` · ${p.subject}` : ''} · created {formatTime(p.created_at)}
          </div>
          {!TERMINAL.includes(p.status) ? (
            <div aria-live="polite">
              <ProgressBar value={p.progress} label="Training progress" />
              <p class="hint">
                {p.status === 'VALIDATING' ? 'Checking each photo…' : p.status === 'QUEUING' ? 'Waiting for a worker…' : 'Training…'} {Math.round(p.progress * 100)}%
              </p>
            </div>
          ) : null}
          {p.status === 'ERROR' ? <div class="banner error" role="alert">{p.message ?? 'Training failed.'}</div> : null}
          {p.status === 'READY' ? (
            <div class="row">
              <span class="banner ok" style={{ padding: '6px 12px' }}>
                Ready: use it as <code>[[{p.profile_id}]]</code>
              </span>
              <a class="btn" href={`#/studio/generate?mention=${p.profile_id}`}>
                Try it in Studio
              </a>
            </div>
          ) : null}
          {delError ? <ErrorBanner error={delError} /> : null}
        </div>
      </section>
      {p.images ? (
        <section style={{ marginTop: 24 }} aria-labelledby="report-title">
          <h2 id="report-title">
            Photo report: {accepted} of {p.images.length} accepted
          </h2>
          <div class="report">
            {p.images.map((img, i) => (
              <div class={`report-item ${img.accepted ? '' : 'refused'}`} key={i} data-testid="report-item">
                <img src={img.url} alt={`Photo ${i + 1}`} loading="lazy" />
                <div>
                  <div class="row" style={{ gap: 6 }}>
                    <strong>Photo {i + 1}</strong>
                    <span class={`badge ${img.accepted ? 'ok' : 'bad'}`}>{img.accepted ? 'accepted' : 'refused'}</span>
                  </div>
                  {/* An accepted photo's reasons are notes (usable but weak), not refusals. */}
                  {img.reasons.map((r) =>
                    img.accepted ? (
                      <p class="advice note" key={r} data-testid="report-note">
                        <strong style={{ color: 'var(--warn)' }}>Note:</strong> {r}.
                      </p>
                    ) : (
                      <p class="advice" key={r}>
                        <strong style={{ color: 'var(--bad)' }}>{r}.</strong> {adviceFor(r)}
                      </p>
                    ),
                  )}
                </div>
              </div>
            ))}
          </div>
        </section>
      ) : null}
    </>
  );
}
