// joinHostPort, as Go's net.JoinHostPort, and unbracketHost, as Go's url.URL.Hostname().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinHostPort, unbracketHost } from '../src/net/index.ts';

describe('joinHostPort', () => {
  it('brackets a host with a colon (IPv6) and nothing else', () => {
    assert.equal(joinHostPort('10.0.0.1', 6443), '10.0.0.1:6443');
    assert.equal(joinHostPort('node1', 10250), 'node1:10250');
    assert.equal(joinHostPort('::1', 443), '[::1]:443');
    assert.equal(joinHostPort('fd00::10', '2379'), '[fd00::10]:2379');
  });
});

describe('unbracketHost', () => {
  it('takes the brackets off an IPv6 URL host and leaves the rest alone', () => {
    assert.equal(unbracketHost(new URL('https://[::1]:6443/').hostname), '::1');
    assert.equal(unbracketHost(new URL('https://10.0.0.1:6443/').hostname), '10.0.0.1');
    assert.equal(unbracketHost('node1'), 'node1');
    assert.equal(unbracketHost('[fd00::10'), '[fd00::10');
  });
});
