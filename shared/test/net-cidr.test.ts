import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalIp, ipAt, offsetIn, parseCidr, specialIpProblem } from '../src/net/index.ts';

describe('cidr', () => {
  it('parses and normalises ranges, refusing what is not one', () => {
    const c = parseCidr('10.96.5.9/12');
    assert.equal(c.text, '10.96.0.0/12');
    assert.equal(c.size, 1n << 20n);
    assert.equal(ipAt(c, 1n), '10.96.0.1');
    assert.equal(ipAt(c, c.size - 1n), '10.111.255.255');
    assert.equal(offsetIn(c, '10.112.0.0'), undefined);
    assert.equal(offsetIn(c, '10.96.1.0'), 256n);
    assert.equal(offsetIn(c, 'fd00::1'), undefined);
    for (const bad of ['10.96.0.0', '10.96.0.0/33', 'x/8', '10.96.0.0/-1'])
      assert.throws(() => parseCidr(bad), /invalid CIDR/);
  });

  it('writes IPv6 as Go does: the longest zero run as "::", lower case', () => {
    const c = parseCidr('FD00:10:96::/108');
    assert.equal(c.text, 'fd00:10:96::/108');
    assert.equal(ipAt(c, 1n), 'fd00:10:96::1');
    assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(canonicalIp('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
    assert.equal(canonicalIp('10.0.0.256'), undefined);
  });

  it('names the special ranges an Endpoints address may not be in', () => {
    assert.match(specialIpProblem('127.0.0.5') ?? '', /loopback/);
    assert.match(specialIpProblem('::1') ?? '', /loopback/);
    assert.match(specialIpProblem('169.254.169.254') ?? '', /link-local range/);
    assert.match(specialIpProblem('fe80::1') ?? '', /link-local range/);
    assert.match(specialIpProblem('224.0.0.251') ?? '', /link-local multicast/);
    assert.match(specialIpProblem('ff02::1') ?? '', /link-local multicast/);
    assert.match(specialIpProblem('0.0.0.0') ?? '', /unspecified/);
    assert.equal(specialIpProblem('224.0.1.1'), undefined);
    assert.equal(specialIpProblem('10.0.0.1'), undefined);
    assert.equal(specialIpProblem('fd00::1'), undefined);
  });
});
