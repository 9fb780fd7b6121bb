// The CLI's per-photo report: refusals with advice, and notes on accepted photos (issue #8's
// accepted-with-note reasons must reach people, not only the API).
import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { printReport, type Io } from '../../src/client/commands.js';

function capture(): { io: Io; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { io: { out, err: new PassThrough() } as Io, text: () => Buffer.concat(chunks).toString('utf8') };
}

test('accepted photos show their notes; refused ones their reason and advice', () => {
  const c = capture();
  printReport(
    {
      profile_id: 'p1',
      status: 'READY',
      message: null,
      subject: 'person',
      images: [
        { url: 'u1', accepted: true, reasons: [] },
        { url: 'u2', accepted: true, reasons: ['small face: fine for recognition, weaker as a reference'] },
        { url: 'u3', accepted: false, reasons: ['blurry'] },
      ],
    },
    ['a.jpg', 'b.jpg', 'c.jpg'],
    c.io,
  );
  const lines = c.text().split('\n');
  assert.ok(lines.includes('2 of 3 photos accepted (subject: person):'));
  assert.ok(lines.includes('  ok       a.jpg'));
  assert.ok(lines.includes('  ok       b.jpg (note: small face: fine for recognition, weaker as a reference)'));
  assert.ok(lines.includes('  refused  c.jpg: blurry'));
  assert.ok(lines.some((l) => l.startsWith('           → ')));
});
