import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dollarsToMicros, formatMicros, parseDollars } from '../../src/credits/money.js';
import {
  creditsConfigFromEnv,
  creditsEnabledFromEnv,
  DEFAULT_PRICES,
  identityOutputs,
  PRICE_KEYS,
  pricesFromEnv,
  settleStudio,
  studioCost,
  trainingCost,
} from '../../src/credits/prices.js';

test('money: dollars to integer micros without float noise', () => {
  assert.equal(dollarsToMicros(0.13), 130_000);
  assert.equal(dollarsToMicros(2.9), 2_900_000);
  assert.equal(dollarsToMicros(1.49), 1_490_000);
  assert.equal(dollarsToMicros(0.1 + 0.2), 300_000);
  assert.equal(Object.is(dollarsToMicros(-0), 0), true);
  assert.throws(() => dollarsToMicros(Number.NaN), RangeError);
  assert.throws(() => dollarsToMicros(Infinity), RangeError);
});

test('money: parseDollars is exact and strict', () => {
  assert.equal(parseDollars('5'), 5_000_000);
  assert.equal(parseDollars('12.50'), 12_500_000);
  assert.equal(parseDollars('$0.25'), 250_000);
  assert.equal(parseDollars('.5'), 500_000);
  assert.equal(parseDollars('5.'), 5_000_000);
  assert.equal(parseDollars(' 0.000001 '), 1);
  assert.equal(parseDollars('-3'), -3_000_000);
  for (const bad of ['', '.', 'abc', '1.0000001', '1e3', '1,5', '$', '--1', '12345678901']) assert.equal(parseDollars(bad), null, bad);
});

test('money: formatMicros keeps cents and trims only trailing zeros', () => {
  assert.equal(formatMicros(2_900_000), '$2.90');
  assert.equal(formatMicros(0), '$0.00');
  assert.equal(formatMicros(1), '$0.000001');
  assert.equal(formatMicros(1_234_500), '$1.2345');
  assert.equal(formatMicros(-150_000), '-$0.15');
  assert.equal(formatMicros(123_000_000_000), '$123000.00');
});

test('prices: defaults are the configured dollar prices in micros', () => {
  assert.equal(DEFAULT_PRICES['profile.standard'], 2_900_000);
  assert.equal(DEFAULT_PRICES['profile.fast'], 1_490_000);
  assert.equal(DEFAULT_PRICES.enhance, 120_000);
  assert.equal(DEFAULT_PRICES['enhance.identity'], 150_000);
  assert.equal(DEFAULT_PRICES.remix, 120_000);
  assert.equal(DEFAULT_PRICES['remix.identity'], 150_000);
  assert.equal(DEFAULT_PRICES.edit, 100_000);
  assert.equal(DEFAULT_PRICES['edit.identity'], 130_000);
  assert.equal(DEFAULT_PRICES.generate, 100_000);
  assert.equal(DEFAULT_PRICES['generate.identity'], 130_000);
  assert.equal(PRICE_KEYS.length, 10);
  for (const k of PRICE_KEYS) assert.ok(Number.isSafeInteger(DEFAULT_PRICES[k]), k);
});

test('pricesFromEnv: unset or blank gives the defaults; JSON overrides some keys', () => {
  assert.deepEqual(pricesFromEnv({}), DEFAULT_PRICES);
  assert.deepEqual(pricesFromEnv({ LIKENESS_PRICES: '  ' }), DEFAULT_PRICES);
  const p = pricesFromEnv({ LIKENESS_PRICES: '{"edit": 0.5, "profile.fast": 0, "generate.identity": 1.234567}' });
  assert.equal(p.edit, 500_000);
  assert.equal(p['profile.fast'], 0);
  assert.equal(p['generate.identity'], 1_234_567);
  assert.equal(p['edit.identity'], DEFAULT_PRICES['edit.identity']);
  assert.equal(p.remix, DEFAULT_PRICES.remix);
});

test('pricesFromEnv: bad values throw an Error naming LIKENESS_PRICES', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"edit": 0.1', /not valid JSON/],
    ['[0.1]', /JSON object/],
    ['0.1', /JSON object/],
    ['null', /JSON object/],
    ['{"edits": 0.1}', /unknown price "edits"/],
    ['{"edit": -0.1}', /"edit".*from 0/],
    ['{"edit": "0.1"}', /"edit".*number/],
    ['{"edit": null}', /"edit".*number/],
    ['{"edit": 1e9}', /"edit".*from 0 to 10000/],
  ];
  for (const [raw, re] of cases) {
    assert.throws(
      () => pricesFromEnv({ LIKENESS_PRICES: raw }),
      (err: unknown) => err instanceof Error && err.message.includes('LIKENESS_PRICES') && re.test(err.message),
      raw,
    );
  }
});

test('creditsEnabledFromEnv: off by default, 1/true on, garbage rejected', () => {
  assert.equal(creditsEnabledFromEnv({}), false);
  assert.equal(creditsEnabledFromEnv({ LIKENESS_CREDITS: '' }), false);
  assert.equal(creditsEnabledFromEnv({ LIKENESS_CREDITS: '0' }), false);
  assert.equal(creditsEnabledFromEnv({ LIKENESS_CREDITS: '1' }), true);
  assert.equal(creditsEnabledFromEnv({ LIKENESS_CREDITS: 'TRUE' }), true);
  assert.throws(() => creditsEnabledFromEnv({ LIKENESS_CREDITS: 'maybe' }), /LIKENESS_CREDITS/);
  const c = creditsConfigFromEnv({ LIKENESS_CREDITS: 'on', LIKENESS_PRICES: '{"remix": 0.2}' });
  assert.equal(c.enabled, true);
  assert.equal(c.prices.remix, 200_000);
});

test('studioCost reserves every output at the identity price when there are candidates', () => {
  assert.equal(studioCost({ kind: 'edit', outputs: 2, withIdentity: true }), 260_000);
  assert.equal(studioCost({ kind: 'edit', outputs: 2, withIdentity: false }), 200_000);
  assert.equal(studioCost({ kind: 'enhance', outputs: 1, withIdentity: true }), 150_000);
  assert.equal(studioCost({ kind: 'remix', outputs: 4, withIdentity: false }), 480_000);
  assert.equal(studioCost({ kind: 'generate', outputs: 0, withIdentity: true }), 0);
  const custom = pricesFromEnv({ LIKENESS_PRICES: '{"generate.identity": 0.333333}' });
  assert.equal(studioCost({ kind: 'generate', outputs: 3, withIdentity: true }, custom), 999_999);
  assert.throws(() => studioCost({ kind: 'edit', outputs: 1.5, withIdentity: false }), RangeError);
  assert.throws(() => studioCost({ kind: 'edit', outputs: -1, withIdentity: false }), RangeError);
  assert.throws(() => studioCost({ kind: 'upscale' as never, outputs: 1, withIdentity: false }), /unknown studio operation/);
});

test('trainingCost is the tier price', () => {
  assert.equal(trainingCost('standard'), 2_900_000);
  assert.equal(trainingCost('fast'), 1_490_000);
  assert.throws(() => trainingCost('turbo' as never), RangeError);
});

test('settleStudio charges the identity price only for outputs where someone was recognised', () => {
  assert.equal(settleStudio({ kind: 'edit', outputsWithIdentity: 1, outputsWithout: 1 }), 230_000);
  assert.equal(settleStudio({ kind: 'remix', outputsWithIdentity: 0, outputsWithout: 3 }), 360_000);
  assert.equal(settleStudio({ kind: 'enhance', outputsWithIdentity: 2, outputsWithout: 0 }), 300_000);
  // Never above the reservation made for the same outputs with candidates.
  for (let w = 0; w <= 4; w++) {
    assert.ok(
      settleStudio({ kind: 'generate', outputsWithIdentity: w, outputsWithout: 4 - w }) <=
        studioCost({ kind: 'generate', outputs: 4, withIdentity: true }),
    );
  }
});

test('identityOutputs counts distinct output images with a recognised face', () => {
  assert.deepEqual(identityOutputs(4, [0, 0, 2, 7, -1]), { outputsWithIdentity: 2, outputsWithout: 2 });
  assert.deepEqual(identityOutputs(2, []), { outputsWithIdentity: 0, outputsWithout: 2 });
});
