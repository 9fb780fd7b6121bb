// Which IP addresses a server-side fetch may connect to. Pure: no DNS, no sockets.
// Anything that is not plain public unicast is refused, so a user-supplied URL can never
// reach the operator's loopback, LAN, cloud metadata endpoint (169.254.169.254) or CGNAT.
import ipaddr from 'ipaddr.js';

/** Public IPv4 ranges only: ipaddr.js calls everything else by a special-range name. */
function isPublicV4(v4: ipaddr.IPv4): boolean {
  return v4.range() === 'unicast';
}

/**
 * True when `ip` must not be contacted (private, loopback, link-local, CGNAT, multicast,
 * broadcast, unspecified, reserved/documentation, unique-local, Teredo, ...), including the
 * IPv6 spellings of such IPv4 addresses (::ffff:127.0.0.1, NAT64 64:ff9b::a00:1, 6to4
 * 2002:0a00:0001::). Unparseable input is forbidden too.
 */
export function isForbiddenAddress(ip: string): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // Zone ids (fe80::1%eth0) are only meaningful for link-local addresses: strip and judge.
    addr = ipaddr.parse(ip.replace(/%.*$/, '').replace(/^\[|\]$/g, ''));
  } catch {
    return true;
  }
  if (addr.kind() === 'ipv4') return !isPublicV4(addr as ipaddr.IPv4);

  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'unicast') return false;
  // Addresses that carry an IPv4 address inside: judge the embedded one.
  if (range === 'ipv4Mapped' || range === 'rfc6145') return !isPublicV4(v6.toIPv4Address());
  const p = v6.parts;
  if (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return !isPublicV4(new ipaddr.IPv4([p[6] >> 8, p[6] & 0xff, p[7] >> 8, p[7] & 0xff]));
  }
  if (range === '6to4') {
    return !isPublicV4(new ipaddr.IPv4([p[1] >> 8, p[1] & 0xff, p[2] >> 8, p[2] & 0xff]));
  }
  return true;
}

/** Strips the brackets WHATWG URL keeps around IPv6 hostnames. */
export function hostForLookup(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** True when the (bracket-stripped) hostname is an IP literal rather than a DNS name. */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host));
}
