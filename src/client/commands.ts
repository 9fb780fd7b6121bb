// The CLI's commands for people using a Likeness server: train a profile from local photos,
// enhance a photo, generate images. They speak the public API only (uploads, profiles,
// studio, jobs), so they work against any Likeness server LIKENESS_URL points at.
import { readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ClientError, type Client } from './http.js';
import { createProgress, type Progress } from './progress.js';
import { adviceFor } from './advice.js';

export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Poll interval (tests shorten it). */
  pollMs?: number;
}

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.gif': 'image/gif',
};

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses `--name value` / `-o value` options and boolean flags; the rest are positional. */
export function parseArgs(args: string[], valued: string[], flags: string[] = []): { pos: string[]; opt: Record<string, string[]>; flag: Set<string> } {
  const pos: string[] = [];
  const opt: Record<string, string[]> = {};
  const flag = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valued.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new ClientError(`${name} needs a value`);
      (opt[name] ??= []).push(v);
    } else if (flags.includes(a)) flag.add(a);
    else if (a.startsWith('-') && a.length > 1) throw new ClientError(`Unknown option ${a}`);
    else pos.push(a);
  }
  return { pos, opt, flag };
}

/** A local image file's bytes and type; a clear error for a missing or unknown file. */
async function readImage(path: string): Promise<{ data: Buffer; type: string }> {
  const type = TYPES[extname(path).toLowerCase()];
  try {
    if (!(await stat(path)).isFile()) throw new Error();
  } catch {
    throw new ClientError(`${path}: no such file`);
  }
  return { data: await readFile(path), type: type ?? 'image/jpeg' };
}

/** Uploads local files (URLs pass through), with a progress bar. Returns the URL of each input, in order. */
async function uploadAll(client: Client, inputs: string[], bar: Progress): Promise<string[]> {
  const urls: string[] = [];
  for (const [i, input] of inputs.entries()) {
    bar.update(i / inputs.length, `uploading ${i + 1}/${inputs.length}: ${basename(input)}`);
    if (isUrl(input)) urls.push(input);
    else {
      const { data, type } = await readImage(input);
      try {
        urls.push((await client.upload(data, type)).url);
      } catch (e) {
        throw new ClientError(`${input}: ${(e as Error).message}`);
      }
    }
  }
  if (inputs.some((i) => !isUrl(i))) bar.done(`Uploaded ${inputs.filter((i) => !isUrl(i)).length} photo(s).`);
  return urls;
}

const STATUS_TEXT: Record<string, string> = {
  VALIDATING: 'checking photos',
  QUEUING: 'waiting for a worker',
  IN_PROGRESS: 'training',
  READY: 'ready',
  ERROR: 'failed',
  INACTIVE: 'inactive',
};

/** `likeness profiles create <photos...> [--tag T] [--tier standard|fast] [--wait]`. Returns the exit code. */
export async function profilesCreate(client: Client, args: string[], io: Io): Promise<number> {
  const { pos, opt, flag } = parseArgs(args, ['--tag', '--tier'], ['--wait']);
  if (pos.length === 0) throw new ClientError('Give the photos to train from: likeness profiles create ./photos/*.jpg [--tag me] [--wait]');
  const tier = opt['--tier']?.at(-1) ?? (pos.length < 10 ? 'fast' : 'standard');
  if (tier !== 'standard' && tier !== 'fast') throw new ClientError('--tier must be standard (10–50 photos) or fast (5–10)');
  const bar = createProgress(io.err);
  const urls = await uploadAll(client, pos, bar);
  const body: Record<string, unknown> = { image_urls: urls, training_tier: tier };
  if (opt['--tag']) body.tag = opt['--tag'].at(-1);
  const { profile_id } = await client.json<{ profile_id: string }>('POST', '/v1/phota/profiles/add', body);
  io.out.write(`Profile ${profile_id} created (${tier} tier, ${urls.length} photos).\n`);
  if (!flag.has('--wait')) {
    io.out.write(`Follow it with: likeness profiles status ${profile_id}\n`);
    return 0;
  }
  let st: ProfileStatus;
  for (;;) {
    st = await client.json<ProfileStatus>('GET', `/v1/phota/profiles/${profile_id}/status`);
    if (st.status === 'READY' || st.status === 'ERROR' || st.status === 'INACTIVE') break;
    bar.update(st.progress ?? null, STATUS_TEXT[st.status] ?? st.status);
    await sleep(io.pollMs ?? 500);
  }
  bar.done(st.status === 'READY' ? `Profile ${profile_id} is READY.` : `Profile ${profile_id} is ${st.status}: ${st.message ?? ''}`);
  printReport(st, pos, io);
  return st.status === 'READY' ? 0 : 1;
}

interface ProfileStatus {
  profile_id: string;
  status: string;
  message: string | null;
  progress?: number;
  images?: Array<{ url: string; accepted: boolean; reasons: string[] }> | null;
  subject?: string;
}

/** The per-photo report, with each input named as the user gave it. */
export function printReport(st: ProfileStatus, names: string[] | null, io: Io): void {
  if (!st.images) return;
  const accepted = st.images.filter((i) => i.accepted).length;
  io.out.write(`\n${accepted} of ${st.images.length} photos accepted${st.subject ? ` (subject: ${st.subject})` : ''}:\n`);
  for (const [i, img] of st.images.entries()) {
    const name = names?.[i] ?? img.url;
    if (img.accepted) io.out.write(`  ok       ${name}${img.reasons.length ? ` (note: ${img.reasons.join('; ')})` : ''}\n`);
    else {
      io.out.write(`  refused  ${name}: ${img.reasons.join(', ')}\n`);
      for (const r of img.reasons) io.out.write(`           → ${adviceFor(r)}\n`);
    }
  }
}

/** `likeness profiles status <id>`. */
export async function profilesStatus(client: Client, args: string[], io: Io): Promise<number> {
  const id = args[0];
  if (!id) throw new ClientError('Usage: likeness profiles status <profile-id>');
  const st = await client.json<ProfileStatus>('GET', `/v1/phota/profiles/${encodeURIComponent(id)}/status`);
  io.out.write(`${st.profile_id}  ${st.status}  ${Math.round((st.progress ?? 0) * 100)}%${st.message ? `  ${st.message}` : ''}\n`);
  printReport(st, null, io);
  return st.status === 'ERROR' ? 1 : 0;
}

interface JobView {
  job_id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  result: { download_urls: string[]; known_subjects: { matches?: Array<{ image_index: number; profile_id: string; similarity: number }> } } | null;
  error: { detail: string; code: string } | null;
}

/** Submits an async studio request and follows its job with a progress bar. */
async function runJob(client: Client, kind: string, body: Record<string, unknown>, io: Io, bar: Progress): Promise<JobView> {
  const handle = await client.json<{ job_id: string }>('POST', `/v1/phota/${kind}`, { ...body, async: true, response_mode: 'urls' });
  const started = Date.now();
  for (;;) {
    const job = await client.json<JobView>('GET', `/v1/phota/jobs/${handle.job_id}`);
    const secs = Math.round((Date.now() - started) / 1000);
    if (job.status === 'SUCCEEDED') {
      bar.done(`${kind}: done in ${secs} s (job ${job.job_id}).`);
      return job;
    }
    if (job.status === 'FAILED') {
      bar.done(`${kind}: failed after ${secs} s (job ${job.job_id}).`);
      throw new ClientError(`${job.error?.code ?? 'FAILED'}: ${job.error?.detail ?? 'the job failed'}`);
    }
    bar.update(null, `${kind}: ${job.status === 'QUEUED' ? 'queued' : 'running'} ${secs} s`);
    await sleep(io.pollMs ?? 500);
  }
}

function printMatches(job: JobView, files: string[], io: Io): void {
  for (const m of job.result?.known_subjects.matches ?? []) {
    io.out.write(`  ${files[m.image_index] ?? `image ${m.image_index}`}: ${m.profile_id} similarity ${m.similarity.toFixed(3)}\n`);
  }
}

const outExt = (format: string) => (format === 'png' ? '.png' : '.jpg');

/** `likeness enhance <in> -o <out> [--profile ID]... [--prompt P] [--format jpg|png]`. */
export async function enhance(client: Client, args: string[], io: Io): Promise<number> {
  const { pos, opt } = parseArgs(args, ['-o', '--output', '--profile', '--prompt', '--format']);
  const input = pos[0];
  const output = (opt['-o'] ?? opt['--output'])?.at(-1);
  if (!input || !output || pos.length > 1) throw new ClientError('Usage: likeness enhance <in.jpg> -o <out.jpg> [--profile ID] [--prompt "brighter"]');
  const format = opt['--format']?.at(-1) ?? (extname(output).toLowerCase() === '.png' ? 'png' : 'jpg');
  const bar = createProgress(io.err);
  const [image] = await uploadAll(client, [input], bar);
  const body: Record<string, unknown> = { image, output_format: format };
  if (opt['--profile']) body.profile_ids = opt['--profile'];
  if (opt['--prompt']) body.prompt = opt['--prompt'].at(-1);
  const job = await runJob(client, 'enhance', body, io, bar);
  const url = job.result!.download_urls[0];
  await writeFile(output, await client.download(url));
  io.out.write(`Wrote ${output}\n`);
  printMatches(job, [output], io);
  return 0;
}

/** `likeness generate "<prompt>" -o <dir> [-n N] [--model M] [--aspect R] [--resolution R] [--format jpg|png]`. */
export async function generate(client: Client, args: string[], io: Io): Promise<number> {
  const { pos, opt } = parseArgs(args, ['-o', '--output', '-n', '--model', '--aspect', '--resolution', '--format', '--quality']);
  const prompt = pos.join(' ').trim();
  const dir = (opt['-o'] ?? opt['--output'])?.at(-1) ?? '.';
  if (!prompt) throw new ClientError('Usage: likeness generate "a portrait of [[profile-id]] at the beach" -o out/ [-n 2] [--model nb2]');
  const n = Number(opt['-n']?.at(-1) ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new ClientError('-n must be 1 to 4');
  const format = opt['--format']?.at(-1) ?? 'jpg';
  const body: Record<string, unknown> = { prompt, num_output_images: n, output_format: format };
  if (opt['--model']) body.base_model = opt['--model'].at(-1);
  if (opt['--aspect']) body.aspect_ratio = opt['--aspect'].at(-1);
  if (opt['--resolution']) body.resolution = opt['--resolution'].at(-1);
  if (opt['--quality']) body.quality = opt['--quality'].at(-1);
  const bar = createProgress(io.err);
  const job = await runJob(client, 'generate', body, io, bar);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, url] of job.result!.download_urls.entries()) {
    const file = join(dir, `${job.job_id}-${i + 1}${outExt(format)}`);
    await writeFile(file, await client.download(url));
    files.push(file);
    io.out.write(`Wrote ${file}\n`);
  }
  printMatches(job, files, io);
  return 0;
}
