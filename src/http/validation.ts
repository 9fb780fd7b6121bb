// Turns JSON-schema (ajv) errors into FastAPI's 422 shape, `{detail: [{loc, msg, type}]}`,
// with the messages pydantic v2 uses, so clients written against the hosted API parse them.
import type { ValidationIssue } from '../errors.js';

export interface AjvLikeError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function pathToLoc(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

const TYPE_NAMES: Record<string, [string, string]> = {
  string: ['string_type', 'Input should be a valid string'],
  integer: ['int_type', 'Input should be a valid integer'],
  number: ['float_type', 'Input should be a valid number'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  array: ['list_type', 'Input should be a valid list'],
  object: ['dict_type', 'Input should be a valid dictionary'],
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function toValidationIssues(errors: AjvLikeError[], root: 'body' | 'query' | 'path'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let loc: (string | number)[] = [root, ...pathToLoc(e.instancePath)];
    let type = e.keyword;
    let msg = e.message ?? 'Invalid value';
    const p = e.params;
    switch (e.keyword) {
      case 'required':
        loc = [...loc, String(p.missingProperty)];
        type = 'missing';
        msg = 'Field required';
        break;
      case 'type': {
        const t = String(p.type).split(',')[0];
        [type, msg] = TYPE_NAMES[t] ?? ['type_error', `Input should be of type ${t}`];
        break;
      }
      case 'enum': {
        const values = (p.allowedValues as unknown[]).filter((v) => v !== null).map((v) => `'${String(v)}'`);
        type = 'enum';
        msg = `Input should be ${values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values[0]}`;
        break;
      }
      case 'minItems':
        type = 'too_short';
        msg = `List should have at least ${plural(Number(p.limit), 'item')} after validation`;
        break;
      case 'maxItems':
        type = 'too_long';
        msg = `List should have at most ${plural(Number(p.limit), 'item')} after validation`;
        break;
      case 'minLength':
        type = 'string_too_short';
        msg = `String should have at least ${plural(Number(p.limit), 'character')}`;
        break;
      case 'maxLength':
        type = 'string_too_long';
        msg = `String should have at most ${plural(Number(p.limit), 'character')}`;
        break;
      case 'minimum':
        type = 'greater_than_equal';
        msg = `Input should be greater than or equal to ${String(p.limit)}`;
        break;
      case 'maximum':
        type = 'less_than_equal';
        msg = `Input should be less than or equal to ${String(p.limit)}`;
        break;
      case 'pattern':
        type = 'string_pattern_mismatch';
        msg = `String should match pattern '${String(p.pattern)}'`;
        break;
    }
    const key = JSON.stringify(loc) + type;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ loc, msg, type });
  }
  return issues;
}
