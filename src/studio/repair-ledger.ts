// Whether repair edits pay for a base model, from what they achieved so far (pure, in memory).
// A repair costs one call, like a new generation, so it pays while a repaired look-alike
// passes at least as often as a fresh generation does. The ledger compares the two rates
// (each with a uniform prior) per model; while repairs lose, one repairable miss in
// EXPLORE_EVERY is still repaired, so the verdict can change when the model does.

export const MIN_REPAIRS = 8;
export const EXPLORE_EVERY = 10;

interface Tally {
  generations: number;
  generationPasses: number;
  repairs: number;
  repairPasses: number;
  /** Repairable misses seen while repairs were losing. */
  skipped: number;
}

export class RepairLedger {
  private readonly tallies = new Map<string, Tally>();

  private tally(model: string): Tally {
    let t = this.tallies.get(model);
    if (!t) this.tallies.set(model, (t = { generations: 0, generationPasses: 0, repairs: 0, repairPasses: 0, skipped: 0 }));
    return t;
  }

  record(model: string, kind: 'generation' | 'repair', passed: boolean): void {
    const t = this.tally(model);
    if (kind === 'generation') {
      t.generations++;
      if (passed) t.generationPasses++;
    } else {
      t.repairs++;
      if (passed) t.repairPasses++;
    }
  }

  /** Success rates so far (posterior means with a uniform prior). */
  rates(model: string): { generation: number; repair: number; repairs: number } {
    const t = this.tally(model);
    return { generation: (t.generationPasses + 1) / (t.generations + 2), repair: (t.repairPasses + 1) / (t.repairs + 2), repairs: t.repairs };
  }

  /** Whether the next repairable miss of this model should be repaired (counts the skipped ones). */
  shouldRepair(model: string): boolean {
    const r = this.rates(model);
    if (r.repairs < MIN_REPAIRS || r.repair >= r.generation) return true;
    const t = this.tally(model);
    t.skipped++;
    return t.skipped % EXPLORE_EVERY === 0;
  }
}
