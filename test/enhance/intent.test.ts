import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIntents } from '../../src/enhance/intent.js';

test('no prompt means no intents', () => {
  const i = parseIntents(undefined);
  assert.deepEqual(i, { exposure: 0, warmth: 0, contrast: 0, saturation: 0, monochrome: false, sharpen: 0, denoise: 0 });
  assert.deepEqual(parseIntents('make it nice'), i);
});

test('simple intents parse with their direction', () => {
  assert.equal(parseIntents('brighter please').exposure, 1);
  assert.equal(parseIntents('Make it darker').exposure, -1);
  assert.equal(parseIntents('warmer').warmth, 1);
  assert.equal(parseIntents('cooler tones').warmth, -1);
  assert.equal(parseIntents('more contrast').contrast, 1);
  assert.equal(parseIntents('sharper').sharpen, 1);
  assert.equal(parseIntents('less noise').denoise, 1);
  assert.equal(parseIntents('black and white').monochrome, true);
  assert.equal(parseIntents('B&W portrait').monochrome, true);
});

test('negations and modifiers', () => {
  assert.equal(parseIntents('less bright').exposure, -1);
  assert.equal(parseIntents('it is too dark').exposure, 1);
  assert.equal(parseIntents('much brighter').exposure, 2);
  assert.equal(parseIntents('slightly warmer').warmth, 0.5);
  assert.equal(parseIntents('less contrast').contrast, -1);
});

test('several clauses combine', () => {
  const i = parseIntents('a bit warmer, much brighter and less noise');
  assert.equal(i.warmth, 0.5);
  assert.equal(i.exposure, 2);
  assert.equal(i.denoise, 1);
  const bw = parseIntents('black and white, more contrast');
  assert.equal(bw.monochrome, true);
  assert.equal(bw.contrast, 1);
});
