import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newForbidden } from '@mkube/shared/apierrors';
import { type AdmissionAttributes, admissionChain } from '../../src/admission/types.ts';
import { ensureSystemNamespaces } from '../../src/registry/bootstrap.ts';
import { Registries } from '../../src/registry/index.ts';
import { openSqliteStore, type SqliteStore } from '../../src/storage/index.ts';

describe('admission in the registry', () => {
  let dir: string;
  let store: SqliteStore;
  let regs: Registries;
  const seen: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-admission-'));
    store = await openSqliteStore(dir);
    const chain = admissionChain([
      {
        name: 'Labeller',
        handles: (op) => op === 'CREATE',
        async admit(a: AdmissionAttributes) {
          a.object!.metadata.labels = { ...a.object!.metadata.labels, admitted: 'yes' };
        },
      },
      {
        name: 'NoSecrets',
        handles: () => true,
        async validate(a: AdmissionAttributes) {
          seen.push(`${a.operation} ${a.resource}/${a.name} by ${a.user.username}${a.dryRun ? ' (dry run)' : ''}`);
          if (a.resource === 'configmaps' && a.name === 'forbidden')
            throw newForbidden({ group: '', resource: 'configmaps' }, a.name, 'not this one');
          if (a.operation === 'DELETE' && a.name === 'keep')
            throw newForbidden({ group: '', resource: 'configmaps' }, a.name, 'keep it');
        },
      },
    ]);
    regs = new Registries(store, { admission: chain });
    await ensureSystemNamespaces(regs);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ user: { username: 'bob', groups: [] }, now: new Date() });
  const cms = () => regs.get('', 'configmaps')!;

  it('applies mutations and vetoes, and a veto writes nothing', async () => {
    const ok = await cms().create('default', { metadata: { name: 'ok' } }, ctx(), { dryRun: false });
    assert.equal(ok.metadata.labels?.admitted, 'yes');
    await assert.rejects(
      cms().create('default', { metadata: { name: 'forbidden' } }, ctx(), { dryRun: false }),
      /configmaps "forbidden" is forbidden: not this one/,
    );
    await assert.rejects(cms().get('default', 'forbidden'), /not found/);
    await cms().create('default', { metadata: { name: 'keep' } }, ctx(), { dryRun: false });
    await assert.rejects(cms().delete('default', 'keep', undefined, { dryRun: false }, ctx()), /keep it/);
    assert.equal((await cms().get('default', 'keep')).metadata.name, 'keep');
    const updated = await cms().update('default', 'ok', { ...ok, data: { a: '1' } } as never, '', ctx(), {
      dryRun: true,
    });
    assert.equal((updated as { data?: Record<string, string> }).data?.a, '1');
    assert.ok(seen.includes('CREATE configmaps/ok by bob'));
    assert.ok(seen.includes('DELETE configmaps/keep by bob'));
    assert.ok(seen.includes('UPDATE configmaps/ok by bob (dry run)'));
  });
});
