// The `likeness` command: first start prints a usable key, keys are listed without the key
// itself and can be revoked, a profile can be disabled (INACTIVE), bad settings stop it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { poll } from './harness.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function env() {
  const dataDir = await mkdtemp(join(tmpdir(), 'likeness-cli-'));
  dirs.push(dataDir);
  return { ...process.env, PORT: '0', HOST: '127.0.0.1', LIKENESS_DATA_DIR: dataDir, LIKENESS_LOG_LEVEL: 'warn' };
}

const cli = (e: NodeJS.ProcessEnv, ...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { env: e, encoding: 'utf8' });

test('first start creates and prints one key that works; keys ls, revoke; profiles disable', async () => {
  const e = await env();
  const child = spawn(process.execPath, [CLI, 'serve'], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const url = await poll(async () => /listening on (http:\/\/[^/\s]+)/.exec(out)?.[1], 60_000, 50);
    const key = /X-API-Key: (lk_[0-9A-Za-z]{40})/.exec(out)?.[1];
    assert.ok(key, out);
    const root = await fetch(`${url}/v1/phota/`, { headers: { 'X-API-Key': key } });
    assert.equal(root.status, 200);

    const ls = cli(e, 'keys', 'ls');
    assert.match(ls, /key_\w+\t\S+…\taccount acc_\w+\tdefault\t.*\tactive\tadmin/); // the first key is an admin key
    assert.ok(!ls.includes(key), 'keys ls printed the key');

    // A profile that can never train, then disabled by the operator.
    const add = await fetch(`${url}/v1/phota/profiles/add`, {
      method: 'POST',
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ image_urls: Array(5).fill('http://127.0.0.1:9/x.jpg'), training_tier: 'fast' }),
    });
    const { profile_id } = (await add.json()) as { profile_id: string };
    assert.match(cli(e, 'profiles', 'disable', profile_id), /INACTIVE/);
    const st = (await (await fetch(`${url}/v1/phota/profiles/${profile_id}/status`, { headers: { 'X-API-Key': key } })).json()) as any;
    assert.equal(st.status, 'INACTIVE');

    const keyId = /^(key_\w+)/.exec(ls)![1];
    assert.match(cli(e, 'keys', 'revoke', keyId), /Revoked/);
    assert.match(cli(e, 'keys', 'ls'), /revoked/);
    const after = await fetch(`${url}/v1/phota/`, { headers: { 'X-API-Key': key } });
    assert.equal(after.status, 401);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('a bad setting stops the server with exit code 2 and a message naming it; unknown commands print usage', async () => {
  const e = await env();
  assert.match(cli(e, 'keys', 'create', '--name', 'ops', '--admin'), /^Created admin key key_\w+ for account acc_\w+/);
  assert.match(cli(e, 'keys', 'ls'), /\tops\t.*\tactive\tadmin/);
  const bad = spawnSync(process.execPath, [CLI, 'serve'], { env: { ...e, LIKENESS_WORKERS: 'lots' }, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /LIKENESS_WORKERS must be an integer/);
  const badJson = spawnSync(process.execPath, [CLI, 'serve'], { env: { ...e, LIKENESS_COMFYUI_WORKFLOWS: '{not json' }, encoding: 'utf8' });
  assert.equal(badJson.status, 2);
  assert.match(badJson.stderr, /LIKENESS_COMFYUI_WORKFLOWS/);
  const usage = spawnSync(process.execPath, [CLI, 'frobnicate'], { env: e, encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /Usage:/);
});
