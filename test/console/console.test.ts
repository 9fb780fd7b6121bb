// The web console in real headless Chromium (Debian's chromium through playwright-core)
// against the real server on 127.0.0.1: sign in (a bad key gets a clear message), create a
// profile by uploading real photos, watch it reach READY, read its per-photo report, enhance
// a photo and see the face box and similarity, generate through a base-model stand-in with
// an @mention and an async job, and visit every page (screenshots; every control named;
// keyboard reachable; phone width). Without chromium the tests are skipped, except in CI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, fixture, FIXTURES, type TestServer } from '../http/harness.js';
import { startOpenAIImages } from '../providers/openai-images.js';
import type { StandIn } from '../providers/standin.js';
import { newKey } from '../../src/store/ids.js';
import { CONSOLE_DIR } from '../../src/http/routes/console.js';

const CHROMIUM = process.env.LIKENESS_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const haveChromium = existsSync(CHROMIUM);
const built = existsSync(join(CONSOLE_DIR, 'index.html'));
if (!haveChromium && process.env.CI) throw new Error(`CI must run the browser tests, but ${CHROMIUM} is missing (.ci/run installs it)`);
const skip = !haveChromium ? `browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)` : !built ? 'browser tests skipped: the console is not built (npm run build)' : false;
if (skip) console.log(`# ${skip}`);

/** docs/console with LIKENESS_UPDATE_SCREENSHOTS=1 (to refresh the README's pictures), else a temp dir. */
const SHOTS = process.env.LIKENESS_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/console/', import.meta.url)) : join(tmpdir(), 'likeness-console-shots');

type Page = import('playwright-core').Page;
type Context = import('playwright-core').BrowserContext;
let s: TestServer;
let openai: StandIn;
let ctx: Context;
let page: Page;
let userDir: string;
let adminKey: string;
let profileId = '';

before(async () => {
  if (skip) return;
  openai = await startOpenAIImages(() => fixture('caltech_p06_0105.jpg'));
  s = await startTestServer({ LIKENESS_OPENAI_API_KEY: 'sk-test', LIKENESS_OPENAI_BASE_URL: `${openai.url}/v1`, LIKENESS_PROVIDER_MAX_ATTEMPTS: '1' });
  adminKey = newKey();
  await s.server.ctx.store.keys.create(s.accountId, adminKey, 'operator', { admin: true });
  await mkdir(SHOTS, { recursive: true });
  userDir = await mkdtemp(join(tmpdir(), 'likeness-chromium-'));
  const { chromium } = await import('playwright-core');
  ctx = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  page.on('dialog', (d) => void d.accept());
});
after(async () => {
  if (skip) return;
  await ctx?.close();
  await s?.close();
  await openai?.close();
  await rm(userDir, { recursive: true, force: true });
});

const shot = async (name: string) => {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
};
const go = async (hash: string) => {
  await page.goto(`${s.url}/console#${hash}`);
  await page.waitForSelector('main h1');
};

/** Every visible control has an accessible name (label, aria-label(ledby), text or title). */
async function unnamedControls(): Promise<string[]> {
  // Runs in the page (a string: this project compiles without the DOM library).
  return page.evaluate(`(() => {
    const bad = [];
    for (const el of document.querySelectorAll('a, button, input, select, textarea, [role=combobox], [role=tab]')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0 && el.type !== 'file') continue;
      const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
        el.getAttribute('title') || ((el.tagName === 'A' || el.tagName === 'BUTTON') && el.textContent.trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  })()`);
}

/** Waits (bounded) for a condition the page reaches on its own. */
async function until(fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sideways = () => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;

test('sign in: an invalid key gets a clear message, a valid key opens the profiles page', { skip }, async () => {
  await page.goto(`${s.url}/console`);
  await page.getByLabel('API key').fill('lk_thisIsNotAValidKey');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /not accepted: it is unknown or has been revoked/);
  await shot('sign-in');
  assert.deepEqual(await unnamedControls(), []);
  await page.getByLabel('API key').fill(adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Profiles', exact: true }).waitFor();
  await page.getByText('No profiles yet').waitFor();
  // The key is kept in session storage, never in the URL.
  assert.ok(!page.url().includes(adminKey));
  assert.equal(await page.evaluate("sessionStorage.getItem('likeness.apiKey')"), adminKey);
});

test('create a profile by uploading real photos, watch it reach READY, read its report', { skip }, async () => {
  await page.getByRole('link', { name: 'Create your first profile' }).click();
  await page.getByRole('heading', { name: 'New profile' }).waitFor();
  const files = ['0090', '0091', '0092', '0093', '0094'].map((n) => join(FIXTURES, `caltech_p06_${n}.jpg`));
  await page.locator('#photo-files').setInputFiles([...files, join(FIXTURES, 'coffee.png')]);
  await page.getByLabel('Tag').fill('alice');
  await page.getByRole('img', { name: 'coffee.png' }).waitFor();
  assert.deepEqual(await unnamedControls(), []);
  await shot('new-profile');
  await page.getByRole('button', { name: 'Train from 6 photos' }).click();
  await page.waitForURL(/#\/profiles\/[a-z0-9]{20}$/);
  profileId = /profiles\/([a-z0-9]{20})$/.exec(page.url())![1];
  // Live progress, then READY.
  await page.locator('.badge.READY').waitFor({ timeout: 240_000 });
  await page.getByRole('heading', { name: /Photo report: 5 of 6 accepted/ }).waitFor();
  const items = page.getByTestId('report-item');
  assert.equal(await items.count(), 6);
  const refused = page.locator('.report-item.refused');
  assert.equal(await refused.count(), 1);
  assert.match(await refused.innerText(), /no face\. Use a photo where the face is clearly visible/);
  await page.getByRole('img', { name: 'Profile picture of alice' }).waitFor();
  // Thumbnails of the uploads load from their signed URLs.
  assert.ok(await page.locator('.report-item img').first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0));
  await shot('profile-report');
  await go('/profiles');
  await page.getByTestId('profile-card').first().waitFor();
  await page.getByRole('img', { name: 'Profile picture of alice' }).waitFor();
  await shot('profiles');
});

test('enhance a photo: the result shows the face box labelled with the profile and similarity', { skip }, async () => {
  await go('/studio/enhance');
  await page.locator('#enhance-image-file').setInputFiles(join(FIXTURES, 'caltech_p06_0100.jpg'));
  await page.getByText('Uploaded (kept 24 h).').waitFor();
  await page.getByRole('button', { name: 'alice' }).click();
  assert.equal(await page.getByRole('button', { name: 'alice' }).getAttribute('aria-pressed'), 'true');
  await page.getByRole('button', { name: 'Enhance', exact: true }).click();
  await page.getByTestId('face-box').first().waitFor({ state: 'attached', timeout: 180_000 });
  const summary = await page.getByTestId('result-summary').innerText();
  assert.match(summary, /alice \(similarity 0\.\d\d\)/);
  assert.match(await page.locator('.face-label').first().textContent() ?? '', /alice · 0\.\d\d/);
  assert.ok(await page.getByRole('link', { name: 'Download' }).getAttribute('download'));
  assert.deepEqual(await unnamedControls(), []);
  await shot('studio-enhance');
});

test('generate through a provider stand-in with an @mention, as an async job with live status', { skip }, async () => {
  await go('/studio/generate');
  const prompt = page.getByRole('combobox', { name: 'Prompt' });
  await prompt.click();
  await prompt.pressSequentially('A portrait of @al');
  await page.getByRole('option', { name: /alice/ }).waitFor();
  await prompt.press('Enter');
  await prompt.pressSequentially('in a garden');
  assert.equal(await prompt.inputValue(), `A portrait of [[${profileId}]] in a garden`);
  // The only configured model is chosen.
  await until(async () => (await page.getByLabel('Base model').inputValue()) === 'gpt-image-2');
  await page.getByLabel('Run in the background (async job)').check();
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByTestId('job-status').waitFor();
  await page.locator('[data-testid=job-status] .badge.SUCCEEDED').waitFor({ timeout: 120_000 });
  await page.getByTestId('face-box').first().waitFor({ state: 'attached' });
  assert.match(await page.getByTestId('result-summary').first().innerText(), /alice \(similarity/);
  await shot('studio-generate');
  const sent = openai.received.filter((r) => r.path.startsWith('/v1/images'));
  assert.ok(sent.length >= 1, 'the stand-in was not called');
});

test('jobs, models, settings and keys pages; keyboard navigation; phone width', { skip }, async () => {
  await go('/jobs');
  await page.getByRole('cell', { name: 'generate' }).waitFor();
  await page.locator('tbody .badge.SUCCEEDED').first().waitFor();
  assert.deepEqual(await unnamedControls(), []);
  await shot('jobs');
  await go('/models');
  await page.getByRole('heading', { name: 'GPT Image 2' }).waitFor();
  assert.match(await page.locator('article', { hasText: 'Nano Banana 2' }).innerText(), /not configured[\s\S]*LIKENESS_GEMINI_API_KEY/);
  await shot('models');
  await go('/settings');
  await page.getByRole('button', { name: 'Reveal secret' }).click();
  assert.match(await page.getByTestId('webhook-secret').innerText(), /^whsec_/);
  assert.deepEqual(await unnamedControls(), []);
  await shot('settings');
  await go('/keys');
  await page.getByLabel('Name').fill('bob');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = await page.getByTestId('new-key').innerText();
  assert.match(key, /^lk_/);
  assert.equal((await fetch(`${s.url}/v1/phota/`, { headers: { 'X-API-Key': key } })).status, 200);
  await page.getByRole('button', { name: 'Revoke bob' }).click();
  await page.getByRole('button', { name: 'Revoke bob' }).waitFor({ state: 'detached' });
  assert.equal((await fetch(`${s.url}/v1/phota/`, { headers: { 'X-API-Key': key } })).status, 401);
  assert.deepEqual(await unnamedControls(), []);
  await shot('keys');

  // Keyboard: Tab reaches the navigation; Enter follows a link.
  await go('/profiles');
  await page.reload();
  await page.getByRole('heading', { name: 'Profiles', exact: true }).waitFor();
  await page.keyboard.press('Tab');
  const first = await page.evaluate('document.activeElement && document.activeElement.textContent');
  assert.equal(first, 'Profiles');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Studio', exact: true }).waitFor();
  // Focus follows the page change: it lands on the new page's heading, not the old link.
  await page.waitForFunction("document.activeElement && document.activeElement.tagName === 'H1'");
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Studio');

  // An ordinary key sees no Keys page.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').fill(s.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Studio', exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Keys' }).count(), 0);

  await page.setViewportSize({ width: 390, height: 844 });
  await go('/profiles');
  await page.getByTestId('profile-card').first().waitFor();
  const overflow = await sideways();
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at phone width`);
  await shot('profiles-phone');
  await go('/studio/enhance');
  assert.ok((await sideways()) <= 0);
  await shot('studio-phone');
});
