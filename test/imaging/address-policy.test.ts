import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isForbiddenAddress } from '../../src/imaging/fetch.js';
import { isIpLiteral } from '../../src/imaging/address-policy.js';

test('public unicast addresses are allowed', () => {
  for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
    assert.equal(isForbiddenAddress(ip), false, ip);
  }
});

test('private, loopback, link-local, CGNAT, multicast, unspecified and reserved IPv4 are refused', () => {
  const cases = [
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '169.254.169.254', '100.64.0.1', '100.127.255.255', '224.0.0.1', '239.255.255.250', '0.0.0.0',
    '0.1.2.3', '255.255.255.255', '192.0.2.1', '198.51.100.7', '203.0.113.9', '198.18.0.1', '240.0.0.1',
  ];
  for (const ip of cases) assert.equal(isForbiddenAddress(ip), true, ip);
  // Neighbours of the ranges stay public.
  for (const ip of ['172.32.0.1', '100.128.0.1', '11.0.0.1', '192.169.0.1', '223.255.255.255']) {
    assert.equal(isForbiddenAddress(ip), false, ip);
  }
});

test('IPv6 loopback, link-local, unique-local, multicast and IPv4-embedding forms are refused', () => {
  const cases = [
    '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2001:db8::1', '2001::1', '[::1]',
  ];
  for (const ip of cases) assert.equal(isForbiddenAddress(ip), true, ip);
  // IPv4 embedded forms of public addresses are fine.
  assert.equal(isForbiddenAddress('::ffff:8.8.8.8'), false);
  assert.equal(isForbiddenAddress('64:ff9b::808:808'), false);
  assert.equal(isForbiddenAddress('2002:808:808::1'), false);
});

test('garbage is refused rather than allowed', () => {
  for (const s of ['', 'localhost', 'not-an-ip', '999.1.1.1', '127.1', '0x7f.1']) assert.equal(isForbiddenAddress(s), true, s);
});

test('isIpLiteral tells names from addresses', () => {
  assert.equal(isIpLiteral('127.0.0.1'), true);
  assert.equal(isIpLiteral('::1'), true);
  assert.equal(isIpLiteral('example.com'), false);
  assert.equal(isIpLiteral('1.2.3'), false);
});
