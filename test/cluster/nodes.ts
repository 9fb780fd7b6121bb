// Real `likeness serve` / `likeness worker` processes on 127.0.0.1 sharing one Postgres
// database, one Redis key prefix and one S3 bucket (s3rver in the test process), for the
// multi-node tests. Each node has its own data directory (nothing shared through the disk).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distributedEnv } from '../http/harness.js';

const CLI = new URL('../../src/cli.js', import.meta.url).pathname;

export interface Node {
  name: string;
  child: ChildProcess;
  /** http://127.0.0.1:PORT for api nodes; '' for workers. */
  url: string;
  /** Everything the node wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches `re` (bounded). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

export interface Cluster {
  env: Record<string, string>;
  start(name: string, command: 'serve' | 'worker', extra?: Record<string, string>): Promise<Node>;
  close(): Promise<void>;
}

export async function startCluster(base: Record<string, string> = {}): Promise<Cluster> {
  const dist = await distributedEnv();
  const nodes: Node[] = [];
  const dirs: string[] = [];
  const env = {
    ...dist.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LIKENESS_LOG_LEVEL: 'silent',
    LIKENESS_ALLOW_PRIVATE_URLS: '1',
    LIKENESS_ALLOW_HTTP_CALLBACKS: '1',
    LIKENESS_WORKERS: '1',
    LIKENESS_QUEUE_LEASE_S: '3',
    LIKENESS_SWEEP_INTERVAL_S: '2',
    ...base,
  };
  return {
    env,
    async start(name, command, extra = {}) {
      const dataDir = await mkdtemp(join(tmpdir(), `likeness-node-${name}-`));
      dirs.push(dataDir);
      const child = spawn(process.execPath, [CLI, command], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, LIKENESS_DATA_DIR: dataDir, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const waiters: Array<() => void> = [];
      const onData = (c: Buffer) => {
        out += c.toString();
        for (const w of waiters.splice(0)) w();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => (r(code), waiters.splice(0).forEach((w) => w()))));
      const waitFor = async (re: RegExp, timeoutMs = 60_000) => {
        const end = Date.now() + timeoutMs;
        while (!re.test(out)) {
          if (child.exitCode !== null) throw new Error(`node ${name} exited (${child.exitCode}) before ${re}:\n${out}`);
          if (Date.now() > end) throw new Error(`node ${name}: no ${re} after ${timeoutMs} ms:\n${out}`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 200);
          });
        }
      };
      const node: Node = { name, child, url: '', output: () => out, waitFor, kill: (s) => child.kill(s), exited };
      nodes.push(node);
      if (command === 'worker' || extra.LIKENESS_ROLES === 'worker') await waitFor(/worker running/);
      else {
        await waitFor(/listening on http:\/\/[^/]+\//);
        node.url = /listening on (http:\/\/[^/\s]+)\//.exec(out)![1]!;
      }
      return node;
    },
    async close() {
      for (const n of nodes) {
        if (n.child.exitCode === null && n.child.signalCode === null) {
          n.child.kill('SIGCONT');
          n.child.kill('SIGKILL');
        }
        await n.exited;
      }
      await dist.cleanup();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}
