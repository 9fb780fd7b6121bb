import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStatusCache } from '../../src/store/status-cache.js';

// A read that counts its calls and can be held open, to interleave writes with it.
function reader(values: Map<string, string>) {
  let calls = 0;
  let gate: Promise<void> | null = null;
  return {
    get calls() {
      return calls;
    },
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => open();
    },
    read: (id: string) => async () => {
      calls++;
      const v = values.get(id); // what the row held when the query ran
      if (gate) await gate;
      return v;
    },
  };
}

test('status cache: a second poll is served without a read; a write makes the next poll read again', async () => {
  const rows = new Map([['p1', 'QUEUING']]);
  const r = reader(rows);
  const cache = createStatusCache<string>();
  assert.equal(await cache.get('p1', r.read('p1')), 'QUEUING');
  assert.equal(await cache.get('p1', r.read('p1')), 'QUEUING');
  assert.equal(r.calls, 1);
  rows.set('p1', 'READY');
  cache.invalidate('p1');
  assert.equal(await cache.get('p1', r.read('p1')), 'READY');
  assert.equal(r.calls, 2);
});

test('status cache: a read that began before a write does not put the old row back', async () => {
  const rows = new Map([['p1', 'QUEUING']]);
  const r = reader(rows);
  const cache = createStatusCache<string>();
  const release = r.hold();
  const inFlight = cache.get('p1', r.read('p1')); // reads QUEUING, then waits
  rows.set('p1', 'READY');
  cache.invalidate('p1'); // the write finished while the read was in flight
  release();
  assert.equal(await inFlight, 'QUEUING', 'the in-flight read answers what it read');
  assert.equal(await cache.get('p1', r.read('p1')), 'READY', 'but did not cache it');
  assert.equal(r.calls, 2);
});

test('status cache: another connection committing (external version moves) drops every entry', async () => {
  const rows = new Map([
    ['p1', 'QUEUING'],
    ['p2', 'QUEUING'],
  ]);
  const r = reader(rows);
  let version = 7;
  let now = 0;
  let reads = 0;
  const cache = createStatusCache<string>({ externalVersion: () => (reads++, version), externalCheckMs: 1, clock: () => now });
  await cache.get('p1', r.read('p1'));
  await cache.get('p2', r.read('p2'));
  assert.equal(cache.size, 2);
  rows.set('p1', 'READY');
  rows.set('p2', 'ERROR');
  version++;
  const before = reads;
  assert.equal(await cache.get('p1', r.read('p1')), 'QUEUING', 'within the check interval the version is not read again');
  assert.equal(reads, before);
  now += 1;
  assert.equal(await cache.get('p1', r.read('p1')), 'READY');
  assert.equal(await cache.get('p2', r.read('p2')), 'ERROR');
  assert.equal(r.calls, 4);
});

test('status cache: unknown ids are never cached; the oldest entry goes when full', async () => {
  const rows = new Map<string, string>();
  const r = reader(rows);
  const cache = createStatusCache<string>({ max: 2 });
  assert.equal(await cache.get('new', r.read('new')), undefined);
  rows.set('new', 'VALIDATING'); // created after the miss
  assert.equal(await cache.get('new', r.read('new')), 'VALIDATING');
  rows.set('b', 'READY');
  rows.set('c', 'READY');
  await cache.get('b', r.read('b'));
  await cache.get('c', r.read('c'));
  assert.equal(cache.size, 2);
  const before = r.calls;
  await cache.get('new', r.read('new')); // evicted first
  assert.equal(r.calls, before + 1);
});
