import { useState } from 'preact/hooks';
import { api, ApiError, ext, type Me } from '../api';

export function SignIn({ onSignedIn }: { onSignedIn: (key: string, me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('GET', ext('/me'), undefined, { key: key.trim() });
      onSignedIn(key.trim(), me);
    } catch (err) {
      const a = err as ApiError;
      setError(
        a.status === 401
          ? 'That API key was not accepted: it is unknown or has been revoked. Check for a typo, or ask the operator for a new one (likeness keys create).'
          : a.status === 403
            ? 'Enter an API key to sign in.'
            : a.message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="panel stack" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">◉</span> Likeness
        </div>
        <div>
          <h1 id="signin-title">Sign in to the console</h1>
          <p class="hint">Use the API key you call Likeness with. It stays in this browser tab only and is cleared when you close it.</p>
        </div>
        <div class="field">
          <label for="api-key">API key</label>
          <input id="api-key" type="password" autocomplete="off" spellcheck={false} placeholder="lk_…" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
        </div>
        {error ? (
          <div class="banner error" role="alert">
            {error}
          </div>
        ) : null}
        <button class="btn primary" type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p class="hint">
          No key yet? The first <code>npm start</code> prints one; more with <code>likeness keys create</code>.
        </p>
      </form>
    </main>
  );
}
