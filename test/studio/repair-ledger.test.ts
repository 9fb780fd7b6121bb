import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepairLedger, MIN_REPAIRS, EXPLORE_EVERY } from '../../src/studio/repair-ledger.js';

test('repairs are tried until there is evidence, and kept while they pass as often as generations', () => {
  const l = new RepairLedger();
  assert.equal(l.shouldRepair('nb2'), true);
  for (let i = 0; i < 20; i++) l.record('nb2', 'generation', i % 2 === 0); // 50%
  for (let i = 0; i < MIN_REPAIRS; i++) l.record('nb2', 'repair', i % 4 !== 0); // 75%
  assert.equal(l.shouldRepair('nb2'), true);
});

test('repairs that lose to generations stop, but one in EXPLORE_EVERY is still tried; models are apart', () => {
  const l = new RepairLedger();
  for (let i = 0; i < 20; i++) l.record('nb2', 'generation', i % 5 !== 0); // 80%
  for (let i = 0; i < MIN_REPAIRS; i++) l.record('nb2', 'repair', i % 4 === 0); // 25%
  const decisions = Array.from({ length: EXPLORE_EVERY * 2 }, () => l.shouldRepair('nb2'));
  assert.equal(decisions.filter(Boolean).length, 2);
  assert.equal(l.shouldRepair('gpt-image-2'), true);
  assert.ok(l.rates('nb2').repair < l.rates('nb2').generation);
});
