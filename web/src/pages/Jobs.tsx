// Recent async jobs: status, errors and outputs; refreshed while any is still running.
import { api, ext, type Job } from '../api';
import { Badge, Empty, ErrorBanner, Spinner, formatTime, useAsync, useInterval } from '../components/ui';

export function Jobs() {
  const { data, error, loading, reload } = useAsync((signal) => api<{ jobs: Job[] }>('GET', ext('/jobs?limit=50'), undefined, { signal }), []);
  const jobs = data?.jobs ?? [];
  useInterval(reload, 2000, jobs.some((j) => j.status === 'QUEUED' || j.status === 'RUNNING'));
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Jobs</h1>
          <p>Background (async) studio requests of this account, kept 7 days.</p>
        </div>
        <button class="btn" onClick={reload} disabled={loading}>
          {loading ? <Spinner label="Refreshing" /> : null} Refresh
        </button>
      </div>
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {!data && loading ? (
        <Spinner label="Loading jobs" />
      ) : jobs.length === 0 ? (
        <Empty title="No jobs yet">
          <p>
            Jobs appear when a studio request runs in the background. In <a href="#/studio">Studio</a>, tick “Run in the background”.
          </p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Outputs or error</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.job_id}>
                  <td class="mono">{j.job_id}</td>
                  <td>{j.kind}</td>
                  <td>
                    <Badge status={j.status} />
                  </td>
                  <td class="nowrap">{formatTime(j.created_at)}</td>
                  <td>
                    {j.error ? (
                      <span style={{ color: 'var(--bad)' }}>
                        {j.error.code}: {j.error.detail}
                      </span>
                    ) : j.result ? (
                      <div class="mini-thumbs">
                        {j.result.download_urls.map((u, i) => (
                          <a href={u} key={u} target="_blank" rel="noopener" aria-label={`Output ${i + 1} of ${j.job_id}`}>
                            <img src={u} alt="" />
                          </a>
                        ))}
                      </div>
                    ) : (
                      <span class="meta">–</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
