import { describe, expect, it } from 'vitest';

import { ipAllowed, parseCidr, parseIp } from './schemas.js';

describe('CIDR allow-list', () => {
  it.each(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32', '::1', '::/0', '0.0.0.0/0', 'fe80::1%eth0'])(
    'parses %s',
    (c) => {
      expect(parseCidr(c)).not.toBeNull();
    },
  );
  it.each(['10.0.0.0/33', '256.1.1.1', '1.2.3', 'abc', '2001:db8::/129', '1::2::3', '10.0.0.0/8/1', '10.0.0.0/-1', ''])(
    'refuses %s',
    (c) => {
      expect(parseCidr(c)).toBeNull();
    },
  );
  it('matches by prefix, per family, IPv4-mapped IPv6 as IPv4', () => {
    const list = ['10.1.0.0/16', '2001:db8:abcd::/48'].map((c) => parseCidr(c)!);
    expect(ipAllowed('10.1.255.3', list)).toBe(true);
    expect(ipAllowed('10.2.0.1', list)).toBe(false);
    expect(ipAllowed('::ffff:10.1.0.9', list)).toBe(true);
    expect(ipAllowed('2001:db8:abcd:12::1', list)).toBe(true);
    expect(ipAllowed('2001:db8:abce::1', list)).toBe(false);
    expect(ipAllowed('not-an-ip', list)).toBe(false);
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ v6: false, value: 0xc0000201n });
  });
});
