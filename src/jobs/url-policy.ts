// Callback URL vetting (decisions.md #28, and #10's rule on private addresses): https only
// unless the operator allows plain http; the host must not resolve to a private, loopback,
// link-local or otherwise non-public address unless the operator allows it (local setups,
// tests). Checked when a job is submitted (→ 422) and again before every delivery attempt,
// because DNS answers can change between the two.

import { lookup as dnsLookup } from 'node:dns/promises';
import { ValidationFailed } from '../errors.js';
// one definition of "non-public address" for image fetching and callbacks alike
import { hostForLookup, isForbiddenAddress, isIpLiteral } from '../imaging/address-policy.js';

export { isForbiddenAddress };

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface CallbackUrlPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  /** DNS resolution (the outside boundary); defaults to the system resolver. */
  lookup?: LookupAll;
  /** Request field the error points at, for the 422 `loc`. */
  field?: (string | number)[];
}

const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Resolves when `url` may receive callbacks; throws ValidationFailed (a 422 on
 * `loc: field`, default ["body", "callback_url"]) otherwise: not an absolute http(s) URL,
 * credentials in the URL, plain http when not allowed, a host that does not resolve, or one
 * that resolves to any non-public address when private targets are not allowed.
 */
export async function assertCallbackUrl(url: string, policy: CallbackUrlPolicy): Promise<void> {
  const loc = policy.field ?? ['body', 'callback_url'];
  const fail = (msg: string, type = 'value_error'): never => {
    throw new ValidationFailed([{ loc, msg, type }]);
  };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail('must be an absolute URL', 'url_parsing');
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && policy.allowHttp)) {
    fail(policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL', 'url_scheme');
  }
  if (u.username || u.password) fail('must not contain credentials');
  if (!u.hostname) fail('must have a host');
  if (policy.allowPrivate) return;

  const host = hostForLookup(u.hostname);
  if (isIpLiteral(host)) {
    if (isForbiddenAddress(host)) fail('must not point at a private, loopback or reserved address');
    return;
  }
  let addresses: { address: string }[];
  try {
    addresses = await (policy.lookup ?? defaultLookup)(host);
  } catch {
    return fail(`host '${host}' does not resolve`);
  }
  if (addresses.length === 0) fail(`host '${host}' does not resolve`);
  // every answer must be public: a client may connect to any of them
  if (addresses.some((a) => isForbiddenAddress(a.address))) {
    fail('must not point at a private, loopback or reserved address');
  }
}
