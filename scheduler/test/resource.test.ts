// Quantities as the scheduler reads them, and what a pod requests (containers summed, init
// containers as a floor with sidecars counted throughout, overhead added).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quantity } from '@mkube/shared/quantity';

const quantityValue = (q: string) => Quantity.parse(q).value();
const quantityMilliValue = (q: string) => Quantity.parse(q).milliValue();

import { podRequests } from '../src/resource/requests.ts';
import { pod } from './objects.ts';

describe('quantities', () => {
  it('reads Value and MilliValue exactly, rounding up as upstream', () => {
    const cases: [string, number, number][] = [
      ['1', 1, 1000],
      ['100m', 1, 100],
      ['0.1', 1, 100],
      ['1.5', 2, 1500],
      ['1Ki', 1024, 1024000],
      ['8Gi', 8 * 2 ** 30, 8 * 2 ** 30 * 1000],
      ['128974848', 128974848, 128974848000],
      ['129e6', 129000000, 129000000000],
      ['123Mi', 128974848, 128974848000],
      ['1k', 1000, 1000000],
      ['1M', 1_000_000, 1_000_000_000],
      ['1n', 1, 1],
      ['250u', 1, 1],
    ];
    for (const [q, v, m] of cases) {
      assert.equal(quantityValue(q), v, `${q} value`);
      assert.equal(quantityMilliValue(q), m, `${q} milli`);
    }
  });

  it('refuses what is not a quantity', () => {
    for (const bad of ['', 'abc', '1Gb', '1.2.3', '--1'])
      assert.throws(() => quantityValue(bad), /quantities must match/);
  });
});

describe('pod requests', () => {
  it('sums the containers and adds the overhead', () => {
    const p = pod('p', { cpu: '500m', memory: '1Gi' });
    p.spec!.containers.push({ name: 'd', resources: { requests: { cpu: '250m', 'example.com/gpu': '2' } } });
    p.spec!.overhead = { cpu: '100m', memory: '64Mi' };
    const r = podRequests(p);
    assert.equal(r.milliCPU, 850);
    assert.equal(r.memory, 2 ** 30 + 64 * 2 ** 20);
    assert.equal(r.scalar.get('example.com/gpu'), 2);
  });

  it('takes the largest init container as a floor (upstream computePodResourceRequest example)', () => {
    const p = pod('p');
    p.spec!.initContainers = [
      { name: 'ic1', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'ic2', resources: { requests: { cpu: '2', memory: '3G' } } },
    ];
    p.spec!.containers = [
      { name: 'c1', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'c2', resources: { requests: { cpu: '1', memory: '1G' } } },
    ];
    const r = podRequests(p);
    assert.equal(r.milliCPU, 3000);
    assert.equal(r.memory, 3e9);
  });

  it('counts a sidecar for the whole pod and beside every later init container', () => {
    const p = pod('p', { cpu: '1' });
    p.spec!.initContainers = [
      { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
      { name: 'init', resources: { requests: { cpu: '2' } } },
    ];
    // containers + sidecar = 1.5; the init container runs beside the sidecar: 2.5.
    assert.equal(podRequests(p).milliCPU, 2500);
    p.spec!.initContainers[1]!.resources = { requests: { cpu: '200m' } };
    assert.equal(podRequests(p).milliCPU, 1500);
  });

  it('gives a container without requests the scoring defaults only when asked', () => {
    const p = pod('p');
    assert.equal(podRequests(p).milliCPU, 0);
    const nz = podRequests(p, { nonMissing: true });
    assert.equal(nz.milliCPU, 100);
    assert.equal(nz.memory, 200 * 1024 * 1024);
    // A request set to zero is a request: no default for it.
    assert.equal(podRequests(pod('z', { cpu: '0' }), { nonMissing: true }).milliCPU, 0);
  });
});
