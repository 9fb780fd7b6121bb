// API keys of every account (admin keys only): create one (shown once), revoke.
import { useState } from 'preact/hooks';
import { api, ext, type Me } from '../api';
import { ErrorBanner, Spinner, copy, formatTime, useAsync } from '../components/ui';

interface KeyRow {
  key_id: string;
  account_id: string;
  name: string | null;
  prefix: string;
  admin: boolean;
  created_at: string;
  revoked_at: string | null;
}

export function Keys({ me }: { me: Me }) {
  const { data, error, loading, reload } = useAsync((signal) => api<{ keys: KeyRow[] }>('GET', ext('/keys'), undefined, { signal }), []);
  const [name, setName] = useState('');
  const [admin, setAdmin] = useState(false);
  const [made, setMade] = useState<{ key: string; key_id: string } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setActionError(null);
    try {
      setMade(await api('POST', ext('/keys'), { name: name.trim() || null, admin }));
      setName('');
      setAdmin(false);
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const revoke = async (k: KeyRow) => {
    const self = k.key_id === me.key_id ? ' This is the key you are signed in with: you will be signed out.' : '';
    if (!confirm(`Revoke ${k.name ?? k.key_id}? Requests with it fail at once.${self}`)) return;
    try {
      await api('DELETE', ext(`/keys/${k.key_id}`));
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  return (
    <>
      <div class="page-head">
        <div>
          <h1>API keys</h1>
          <p>Each new key opens a new account. Keys are stored hashed; a key is shown only once, when it is created.</p>
        </div>
      </div>
      <div class="stack">
        <form class="panel row" onSubmit={create} aria-label="Create a key">
          <div class="field" style={{ flex: 1, minWidth: 200 }}>
            <label for="key-name">Name</label>
            <input id="key-name" type="text" placeholder="e.g. alice or my-app" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <label class="check" style={{ alignSelf: 'flex-end', minHeight: 38 }}>
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} /> Admin (may manage keys)
          </label>
          <button class="btn primary" type="submit" style={{ alignSelf: 'flex-end' }}>
            Create key
          </button>
        </form>
        {made ? (
          <div class="banner ok" role="status">
            <div class="stack" style={{ gap: 6, width: '100%' }}>
              <strong>Key {made.key_id} created. Copy it now: it is not shown again.</strong>
              <div class="secret">
                <code data-testid="new-key">{made.key}</code>
                <button class="btn small" onClick={() => copy(made.key)}>
                  Copy
                </button>
              </div>
            </div>
          </div>
        ) : null}
        {actionError ? <ErrorBanner error={actionError} /> : null}
        {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
        {loading && !data ? <Spinner label="Loading keys" /> : null}
        {data ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Name</th>
                  <th scope="col">Account</th>
                  <th scope="col">Created</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.keys.map((k) => (
                  <tr key={k.key_id}>
                    <td>
                      <span class="mono">{k.prefix}…</span> <span class="meta mono">{k.key_id}</span>
                    </td>
                    <td>
                      {k.name ?? '–'} {k.admin ? <span class="badge">admin</span> : null} {k.key_id === me.key_id ? <span class="badge ok">you</span> : null}
                    </td>
                    <td class="mono">{k.account_id}</td>
                    <td class="nowrap">{formatTime(k.created_at)}</td>
                    <td>{k.revoked_at ? <span class="badge bad">revoked {formatTime(k.revoked_at)}</span> : <span class="badge ok">active</span>}</td>
                    <td>
                      {k.revoked_at ? null : (
                        <button class="btn small danger" onClick={() => revoke(k)} aria-label={`Revoke ${k.name ?? k.key_id}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
    </>
  );
}
