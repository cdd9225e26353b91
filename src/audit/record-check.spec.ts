import { RecordChecker, RecordMacs, RENDERING_DIFFERS, TrailRecordRow } from './record-check';
import {
  canonicalRecordText,
  HashedRecordFields,
  parseRecordKeys,
  recordHash,
  recordMac,
} from './record-integrity';
import { leafHash } from './merkle';

const fields: HashedRecordFields = {
  id: '0193b6c4-0000-7000-8000-000000000001',
  tenant_id: 'acmé',
  correlation_id: null,
  request_id: '0193b6c4-0000-7000-8000-000000000002',
  coi: null,
  service_id: 'CH_DIRECT',
  service_host: null,
  action_name: 'createUser',
  action_parameters: { Action: 'createUser' },
  result: 'RESPONSE_SUCCESS',
  message: 'é ✓ "',
  return_value: null,
  acting_user_id: null,
  acting_user_immutable_id: null,
  acting_session_id: null,
  acting_auth_method: null,
  target_user_id: null,
  target_user_immutable_id: null,
  created: '2026-12-03T10:00:00.123Z',
};

describe('the bulk record check', () => {
  it('computes record MACs as recordMac does, for short, long and non-ASCII keys and tenants', () => {
    const id = fields.id;
    for (const secret of [Buffer.alloc(16, 7), Buffer.alloc(64, 9), Buffer.alloc(100, 3)]) {
      const key = { id: 'k', secret };
      for (const tenant of ['t', 'acmé', 'é✓😀"\\'.repeat(20), 'x'.repeat(2000)]) {
        const macs = new RecordMacs(secret, tenant);
        for (const hash of [recordHash(fields), recordHash({ ...fields, tenant_id: tenant })]) {
          expect(macs.digest(id, hash)).toBe(recordMac(key, tenant, id, hash));
        }
      }
    }
  });

  it('passes a record the service wrote and names what fails, as checkRecord does', () => {
    const [key] = parseRecordKeys(`k1:${Buffer.alloc(32, 1).toString('base64')}`)!;
    const hash = recordHash(fields);
    const mac = recordMac(key, fields.tenant_id, fields.id, hash);
    const row: TrailRecordRow = {
      id: fields.id,
      tenant_id: fields.tenant_id,
      xact_id: '42',
      hash,
      mac,
      mac_key_id: key.id,
      canonical: canonicalRecordText(fields),
    };
    const checker = new RecordChecker(fields.tenant_id, new Map([[key.id, key]]));
    expect(checker.check(row)).toBeUndefined();
    expect(checker.leaf).toBe(leafHash(hash).toString('latin1'));
    expect(checker.check({ ...row, canonical: row.canonical.replace('✓', 'x') })).toBe(
      RENDERING_DIFFERS,
    );
    expect(
      checker.check({ ...row, mac: `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}` }),
    ).toMatch(/MAC does not/);
    expect(checker.check({ ...row, mac: `${mac}=` })).toMatch(/MAC does not/);
    expect(checker.check({ ...row, mac_key_id: 'k0' })).toMatch(/k0 is unknown/);
    expect(checker.check({ ...row, mac: null })).toMatch(/no MAC/);
    expect(checker.check({ ...row, mac: null, xact_id: '0' })).toBeUndefined();
    expect(new RecordChecker('other', new Map([[key.id, key]])).check(row)).toMatch(/MAC/);
    expect(new RecordChecker(fields.tenant_id, undefined).check({ ...row, mac: 'x' })).toBe(
      undefined,
    );
  });
});
