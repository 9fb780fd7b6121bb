// Pure: a free-text enhancement prompt → a few numeric intents the planner understands.
// Each intent is a signed level (−2..2); unknown words are ignored, so any prompt is safe.

export interface Intents {
  /** + brighter, − darker. */
  exposure: number;
  /** + warmer, − cooler. */
  warmth: number;
  /** + more contrast, − flatter. */
  contrast: number;
  /** + more saturated, − muted. */
  saturation: number;
  monochrome: boolean;
  /** + sharper, − softer. */
  sharpen: number;
  /** + less noise. */
  denoise: number;
}

export const NO_INTENTS: Intents = Object.freeze({
  exposure: 0,
  warmth: 0,
  contrast: 0,
  saturation: 0,
  monochrome: false,
  sharpen: 0,
  denoise: 0,
}) as Intents;

type Axis = Exclude<keyof Intents, 'monochrome'>;

// Phrase patterns, most specific first; each gives an axis and a direction.
const RULES: Array<{ re: RegExp; axis: Axis; dir: 1 | -1 }> = [
  { re: /\b(less|reduce|remove|fix|clean(?:\s+up)?|without|no)\s+(?:the\s+)?(noise|noisy|grain|grainy)\b|\bde-?nois\w*|\bsmooth(?:er)?\s+out\b/, axis: 'denoise', dir: 1 },
  { re: /\b(less|lower|reduce|not so|not as|too)\s+(?:the\s+)?(bright|brightness|light|exposed|exposure)\b/, axis: 'exposure', dir: -1 },
  { re: /\b(less|lower|reduce)\s+(?:the\s+)?(dark|darkness|shadows?)\b/, axis: 'exposure', dir: 1 },
  { re: /\b(less|lower|reduce)\s+(?:the\s+)?contrast\b|\bflatter\b|\bsofter\s+contrast\b/, axis: 'contrast', dir: -1 },
  { re: /\b(less|lower|reduce)\s+(?:the\s+)?(saturat\w*|colou?rful|vivid)\b|\bmuted\b|\bdesaturat\w*/, axis: 'saturation', dir: -1 },
  { re: /\b(less|lower|reduce)\s+(?:the\s+)?(sharp\w*)\b|\bsofter\b|\bsoften\b/, axis: 'sharpen', dir: -1 },
  { re: /\b(darker|darken\w*|dimmer|moodier|(?:too|is|looks|very) bright|overexposed)\b/, axis: 'exposure', dir: -1 },
  { re: /\b(brighter|brighten\w*|lighter|lighten\w*|more light|more exposure|increase (?:the )?(?:brightness|exposure)|(?:too|is|looks|very) dark|underexposed|bright)\b/, axis: 'exposure', dir: 1 },
  { re: /\b(warmer|warm(?:th)?|golden|sunnier|cozier)\b/, axis: 'warmth', dir: 1 },
  { re: /\b(cooler|cool(?:er)? (?:tones?|down)|colder|cool|bluer)\b/, axis: 'warmth', dir: -1 },
  { re: /\b(more|higher|increase|boost)\s+(?:the\s+)?contrast\b|\bcontrast(?:y|ier)\b|\bpunch(?:y|ier)?\b|\bcrisp(?:er)?\b/, axis: 'contrast', dir: 1 },
  { re: /\b(more|increase|boost)\s+(?:the\s+)?(saturat\w*|colou?rs?)\b|\b(vivid|vibrant|saturated|colou?rful|pop)\b/, axis: 'saturation', dir: 1 },
  { re: /\b(sharper|sharpen\w*|more detail\w*|crisper|in focus|deblur\w*|less blur\w*|unblur\w*)\b/, axis: 'sharpen', dir: 1 },
];

const MONO = /\b(black\s*(?:and|&|n)\s*white|b\s*&\s*w|b\/w|monochrome|grayscale|greyscale|gr[ae]y\s*scale)\b/;
const STRONG = /\b(much|a lot|lots|way|very|significantly|dramatically|really|extremely|strongly)\b/;
const WEAK = /\b(slightly|a bit|a little|a touch|subtly|somewhat|mildly|gently|a tad)\b/;

/** Parses a prompt (any language; only English keywords are understood) into intents. */
export function parseIntents(prompt: string | undefined | null): Intents {
  const out: Intents = { ...NO_INTENTS };
  if (!prompt) return out;
  // Clauses are scored separately so "a bit warmer, much brighter" weights each on its own.
  const clauses = prompt.toLowerCase().split(/[,.;!?\n]|\band\b(?!\s*white)|\bbut\b/);
  for (const clause of clauses) {
    const text = clause.trim();
    if (!text) continue;
    const level = STRONG.test(text) ? 2 : WEAK.test(text) ? 0.5 : 1;
    const seen = new Set<Axis>();
    let rest = text;
    for (const rule of RULES) {
      if (seen.has(rule.axis)) continue;
      const m = rest.match(rule.re);
      if (!m) continue;
      seen.add(rule.axis);
      out[rule.axis] += rule.dir * level;
      // Remove the match so e.g. "less bright" is not also read as "bright".
      rest = rest.replace(rule.re, ' ');
    }
  }
  if (MONO.test(prompt.toLowerCase())) out.monochrome = true;
  for (const k of Object.keys(out) as Array<keyof Intents>) {
    if (k !== 'monochrome') out[k] = Math.max(-2, Math.min(2, out[k] as number));
  }
  return out;
}
