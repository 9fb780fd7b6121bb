// Account settings: the account webhook (profile.ready / profile.error) and the signing secret.
import { useEffect, useState } from 'preact/hooks';
import { api, phota, type Me } from '../api';
import { ErrorBanner, copy, useAsync } from '../components/ui';

export function Settings({ me }: { me: Me }) {
  const hook = useAsync((signal) => api<{ url: string | null; events: string[] }>('GET', phota('/webhook'), undefined, { signal }), []);
  const [url, setUrl] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(null);
  useEffect(() => setUrl(hook.data?.url ?? ''), [hook.data]);
  const run = async (fn: () => Promise<void>) => {
    setError(null);
    setSaved(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Settings</h1>
          <p>
            Account <span class="mono">{me.account_id}</span>
            {me.credits.enabled ? ` · balance $${(me.credits.balance_usd ?? 0).toFixed(2)}` : ''}
          </p>
        </div>
      </div>
      <div class="stack">
        {error ? <ErrorBanner error={error} /> : null}
        {saved ? (
          <div class="banner ok" role="status">
            {saved}
          </div>
        ) : null}
        <section class="panel stack" aria-labelledby="webhook-title">
          <div>
            <h2 id="webhook-title">Account webhook</h2>
            <p class="hint">Receives signed profile.ready and profile.error events. Job callbacks use each request's callback_url.</p>
          </div>
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                await api('PUT', phota('/webhook'), { url });
                setSaved('Webhook saved.');
                hook.reload();
              });
            }}
          >
            <label class="sr-only" for="webhook-url">
              Webhook URL
            </label>
            <input id="webhook-url" type="url" required placeholder="https://example.com/likeness-events" value={url} onInput={(e) => setUrl(e.currentTarget.value)} style={{ flex: 1, minWidth: 220 }} />
            <button class="btn primary" type="submit">
              Save
            </button>
            {hook.data?.url ? (
              <button
                class="btn danger"
                type="button"
                onClick={() =>
                  run(async () => {
                    await api('DELETE', phota('/webhook'));
                    setSaved('Webhook removed.');
                    hook.reload();
                  })
                }
              >
                Remove
              </button>
            ) : null}
          </form>
        </section>
        <section class="panel stack" aria-labelledby="secret-title">
          <div>
            <h2 id="secret-title">Signing secret</h2>
            <p class="hint">
              Verify the <code>X-Phota-Signature</code> header of callbacks and webhook events with it. After a rotation the old secret keeps signing for 24 h.
            </p>
          </div>
          {secret ? (
            <div class="secret">
              <code data-testid="webhook-secret">{secret}</code>
              <button class="btn small" onClick={() => copy(secret)}>
                Copy
              </button>
            </div>
          ) : null}
          <div class="row">
            <button class="btn" onClick={() => run(async () => setSecret((await api<{ webhook_secret: string }>('GET', phota('/webhook-secret'))).webhook_secret))}>
              {secret ? 'Refresh' : 'Reveal secret'}
            </button>
            <button
              class="btn danger"
              onClick={() =>
                confirm('Rotate the signing secret? Receivers must switch to the new one within 24 h.') &&
                run(async () => {
                  setSecret((await api<{ webhook_secret: string }>('POST', phota('/webhook-secret/rotate'))).webhook_secret);
                  setSaved('Secret rotated; the old one keeps signing for 24 h.');
                })
              }
            >
              Rotate
            </button>
          </div>
        </section>
      </div>
    </>
  );
}
