// The loop's control flow with a scripted base model and scripted verdicts (the measuring
// itself is tested with real photos in test/http/identity-loop.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runIdentityLoop, type LoopPorts } from '../../src/studio/generation-loop.js';
import type { Verdict } from '../../src/studio/identity-verdict.js';
import { ApiError } from '../../src/errors.js';

const PASS: Verdict = { passed: true, missing: [], minSimilarity: 0.99, repair: null };
const STRANGER: Verdict = { passed: false, missing: ['a'], minSimilarity: 0.85, repair: null };
const LOOKALIKE: Verdict = { passed: false, missing: ['a'], minSimilarity: 0.93, repair: [{ profileId: 'a', box: [0, 0, 1, 1], similarity: 0.93 }] };

/** A base model that draws the scripted verdicts in order; each image carries its verdict's name. */
function scripted(script: Array<Verdict | Error>, opts: { repairTo?: Verdict } = {}) {
  const verdicts = new Map<string, Verdict>();
  let k = 0;
  const log: string[] = [];
  const make = (v: Verdict) => {
    const img = Buffer.from(`img${k++}`);
    verdicts.set(img.toString(), v);
    return img;
  };
  const ports: LoopPorts = {
    async generate(n) {
      log.push(`generate(${n})`);
      const out: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const next = script.shift();
        if (next instanceof Error) throw next;
        out.push(make(next ?? STRANGER));
      }
      return out;
    },
    judge: async (img) => verdicts.get(img.toString())!,
  };
  if (opts.repairTo) {
    ports.repair = async (img) => {
      log.push(`repair(${img.toString()})`);
      return make(opts.repairTo!);
    };
  }
  return { ports, log };
}
const signal = new AbortController().signal;

test('a stranger, then the person: two calls, the second returned as passed after 2 attempts', async () => {
  const { ports, log } = scripted([STRANGER, PASS]);
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 1, signal });
  assert.deepEqual(log, ['generate(1)', 'generate(1)']);
  assert.equal(r.calls, 2);
  assert.equal(r.outputs.length, 1);
  assert.equal(r.outputs[0].verdict, PASS);
  assert.equal(r.outputs[0].attempts, 2);
});

test('budget 1 never retries', async () => {
  const { ports } = scripted([STRANGER, PASS]);
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 1, perCall: 1, signal });
  assert.equal(r.calls, 1);
  assert.deepEqual(r.outputs.map((o) => [o.verdict?.passed, o.attempts]), [[false, 1]]);
});

test('only misses: the budget runs out and the best miss comes back, not passed', async () => {
  const { ports } = scripted([STRANGER, LOOKALIKE, STRANGER]);
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 1, signal });
  assert.equal(r.calls, 3);
  assert.equal(r.outputs[0].verdict, LOOKALIKE);
  assert.equal(r.outputs[0].attempts, 3);
});

test('a look-alike is repaired before a new generation is tried', async () => {
  const { ports, log } = scripted([LOOKALIKE], { repairTo: PASS });
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 1, signal });
  assert.deepEqual(log, ['generate(1)', 'repair(img0)']);
  assert.equal(r.repairs, 1);
  assert.equal(r.outputs[0].verdict, PASS);
  assert.equal(r.outputs[0].attempts, 2);
});

test('a failed repair is not repeated: the next round generates', async () => {
  const { ports, log } = scripted([LOOKALIKE, PASS], { repairTo: STRANGER });
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 1, signal });
  assert.deepEqual(log, ['generate(1)', 'repair(img0)', 'generate(1)']);
  assert.equal(r.outputs[0].verdict, PASS);
});

test('two outputs: the one that passed is kept, only the other is tried again; stops when enough pass', async () => {
  const { ports, log } = scripted([PASS, STRANGER, PASS, PASS]);
  const r = await runIdentityLoop(ports, { outputs: 2, budget: 3, perCall: 1, signal });
  assert.deepEqual(log, ['generate(1)', 'generate(1)', 'generate(1)']);
  assert.deepEqual(r.outputs.map((o) => [o.verdict?.passed, o.attempts]), [[true, 1], [true, 2]]);
});

test('a refusal mid-loop stops it and returns what was made; a refusal before any image is the error', async () => {
  const refusal = new ApiError(400, 'CONTENT_MODERATION', 'refused');
  const { ports } = scripted([STRANGER, refusal, PASS]);
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 1, signal });
  assert.equal(r.calls, 2);
  assert.equal(r.outputs[0].verdict, STRANGER);
  const first = scripted([refusal]);
  await assert.rejects(runIdentityLoop(first.ports, { outputs: 1, budget: 3, perCall: 1, signal }), (e) => e === refusal);
  // Not a provider's answer: fails the request even with candidates in hand.
  const crash = scripted([STRANGER, new Error('worker died')]);
  await assert.rejects(runIdentityLoop(crash.ports, { outputs: 1, budget: 3, perCall: 1, signal }), /worker died/);
});

test('several per call: over-generates and ranks; without identity one plain call', async () => {
  const { ports, log } = scripted([STRANGER, PASS, LOOKALIKE, STRANGER]);
  const r = await runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 4, signal });
  assert.deepEqual(log, ['generate(4)']);
  assert.equal(r.outputs[0].verdict, PASS);
  const plain = scripted([]);
  const p = await runIdentityLoop({ ...plain.ports, judge: null }, { outputs: 2, budget: 3, perCall: 4, signal });
  assert.deepEqual(plain.log, ['generate(2)']);
  assert.deepEqual(p.outputs.map((o) => [o.verdict, o.attempts]), [[null, 1], [null, 1]]);
});

test('an aborted request stops between rounds', async () => {
  const ctrl = new AbortController();
  const { ports } = scripted([STRANGER, PASS]);
  const gen = ports.generate;
  ports.generate = async (n, s) => {
    const out = await gen(n, s);
    ctrl.abort(new ApiError(504, 'TIMEOUT', 'late'));
    return out;
  };
  await assert.rejects(runIdentityLoop(ports, { outputs: 1, budget: 3, perCall: 1, signal: ctrl.signal }), (e) => e instanceof ApiError && e.code === 'TIMEOUT');
});
