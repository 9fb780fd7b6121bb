// `likeness credits ...`: operator commands to top up and inspect prepaid balances. Returns the
// text to print; the caller (src/cli.ts) owns the process, the store and the output.
import type { CreditEntry, Store } from '../store/types.js';
import { formatMicros, parseDollars } from './money.js';

export const CREDITS_USAGE = `Usage:
  likeness credits add <account-id> <dollars>   add prepaid credit (e.g. 25 or 12.50)
  likeness credits show <account-id>            balance and recent ledger entries`;

const SHOW_ENTRIES = 20;

/** Pure: ledger entries as aligned text lines, newest first as given. */
export function formatLedger(entries: CreditEntry[]): string {
  if (entries.length === 0) return '  (no entries)';
  const rows = entries.map((e) => [
    new Date(e.createdAt).toISOString().replace('T', ' ').slice(0, 19),
    e.kind,
    (e.amountMicros > 0 ? '+' : '') + formatMicros(e.amountMicros),
    e.reference ?? '',
    e.note ?? '',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      ('  ' + r.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : i < 4 ? c.padEnd(widths[i]!) : c)).join('  ')).trimEnd(),
    )
    .join('\n');
}

/**
 * Runs `credits <args...>` (args exclude the word "credits"). Throws Error with the usage
 * text on bad arguments, and Error for an unknown account.
 */
export async function creditsCommand(store: Store, args: string[], opts: { enabled?: boolean } = {}): Promise<string> {
  const [sub, accountId, amount, ...extra] = args;
  const offNote =
    opts.enabled === false ? '\nNote: credits are off, so requests are not charged; set LIKENESS_CREDITS=1 to turn them on.' : '';
  if (sub === 'add' && accountId && amount !== undefined && extra.length === 0) {
    const micros = parseDollars(amount);
    if (micros === null || micros <= 0) {
      throw new Error(`"${amount}" is not a positive amount of dollars (at most 6 decimals)\n${CREDITS_USAGE}`);
    }
    if (!(await store.accounts.get(accountId))) throw new Error(`no account "${accountId}" (see likeness keys ls)`);
    const balance = await store.credits.grant(accountId, micros, 'likeness credits add');
    return `Added ${formatMicros(micros)} to ${accountId}. Balance: ${formatMicros(balance)}.${offNote}`;
  }
  if (sub === 'show' && accountId && amount === undefined) {
    if (!(await store.accounts.get(accountId))) throw new Error(`no account "${accountId}" (see likeness keys ls)`);
    const balance = await store.credits.balance(accountId);
    const open = await store.credits.openReservations(Number.MAX_SAFE_INTEGER, 1000, accountId);
    const held = open.reduce((sum, r) => sum + r.amountMicros, 0);
    const entries = await store.credits.ledger(accountId, SHOW_ENTRIES);
    return [
      `Account ${accountId}`,
      `Balance: ${formatMicros(balance)}` + (held > 0 ? ` (plus ${formatMicros(held)} held by requests in progress)` : ''),
      `Last ${SHOW_ENTRIES} ledger entries (newest first):`,
      formatLedger(entries),
    ].join('\n') + offNote;
  }
  throw new Error(CREDITS_USAGE);
}
