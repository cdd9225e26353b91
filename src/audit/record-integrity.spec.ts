import {
  canonicalRecord,
  canonicalRecordText,
  CanonicalRecordTexts,
  changesJsonbText,
  HashedRecordFields,
  inJsonbKeyOrder,
  jsonbText,
  parseRecordKeys,
  macMatches,
  recordHash,
  recordJsonbTexts,
  recordMac,
} from './record-integrity';

const base: HashedRecordFields = {
  id: '0193b6c4-0000-7000-8000-000000000001',
  tenant_id: 'acme',
  correlation_id: 'c-1',
  request_id: '0193b6c4-0000-7000-8000-000000000002',
  coi: null,
  service_id: 'CH_DIRECT',
  service_host: 'host',
  action_name: 'createUser',
  action_parameters: { Action: 'createUser', COI: 'X', é: 'ü', longerKey: 'v' },
  result: 'RESPONSE_FAILURE',
  message: 'quote " backslash \\ newline \n tab \t \u0001 ✓',
  return_value: { status: '400', error: 'invalid_request' },
  acting_user_id: 'client',
  acting_user_immutable_id: null,
  acting_session_id: 'jti',
  acting_auth_method: 'client_secret_basic',
  target_user_id: null,
  target_user_immutable_id: 'u',
  created: '2026-12-03T10:00:00.123Z',
};

describe('record hash and MAC', () => {
  it('writes the canonical text in jsonb key order, as the generic form sorts it', () => {
    expect(canonicalRecordText(base)).toBe(jsonbText(canonicalRecord(base)));
    const nulls = { ...base, return_value: null, message: null, coi: 'C', action_parameters: {} };
    expect(canonicalRecordText(nulls)).toBe(jsonbText(canonicalRecord(nulls)));
    const full = {
      ...base,
      changes: [{ attribute: 'active', op: 'replace', before: true, after: false }],
      client: { ipAddress: '127.0.0.1', userAgent: 'ua', fromRequest: true },
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    };
    expect(canonicalRecordText(full)).toBe(jsonbText(canonicalRecord(full)));
    expect(canonicalRecordText({ ...full, changes: [] })).toBe(
      jsonbText(canonicalRecord({ ...full, changes: [] })),
    );
  });

  it('writes a run of records as each alone, whatever they share with the one before', () => {
    const full = {
      ...base,
      changes: [{ attribute: 'active', op: 'replace', before: true, after: false }],
      client: { ipAddress: '127.0.0.1', userAgent: 'ua', fromRequest: true },
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    };
    // Each record differs from the one before it in one field (or none), then in many.
    const run: HashedRecordFields[] = [
      base,
      { ...base, id: '0193b6c4-0000-7000-8000-000000000009' },
      base,
      { ...base, coi: 'C' },
      { ...base, coi: 'C', action_name: 'deleteUser' },
      { ...base, action_parameters: { Action: 'x' } },
      { ...base, result: 'RESPONSE_SUCCESS' },
      full,
      { ...full, client: null },
      { ...full, client: { ipAddress: '::1' } },
      { ...full, trace_id: null },
      { ...full, trace_id: undefined },
      { ...full, changes: null },
      { ...full, message: null },
      { ...full, service_id: 'OTHER' },
      { ...full, service_host: null },
      { ...full, tenant_id: 'other' },
      { ...full, request_id: 'r' },
      { ...full, return_value: null },
      { ...full, acting_user_id: null },
      { ...full, acting_session_id: null },
      { ...full, acting_user_immutable_id: 'i' },
      { ...full, acting_auth_method: null },
      { ...full, target_user_id: 't', target_user_immutable_id: null },
      { ...full, correlation_id: null },
      { ...full, created: '2026-12-03T10:00:00.124Z' },
      base,
    ];
    const writer = new CanonicalRecordTexts();
    for (const r of run) {
      expect(writer.text(r, recordJsonbTexts(r))).toBe(jsonbText(canonicalRecord(r)));
    }
  });

  it('renders the jsonb members once, as the hash covers them, null where unset', () => {
    const full = { ...base, changes: [{ attribute: 'active', op: 'add', after: true }] };
    const texts = recordJsonbTexts(full);
    expect(texts).toEqual({
      action_parameters: jsonbText(full.action_parameters),
      return_value: jsonbText(full.return_value),
      changes: jsonbText(full.changes),
      client: 'null',
    });
    expect(JSON.parse(texts.changes)).toEqual(full.changes);
    expect(recordHash(full, texts)).toBe(recordHash(full));
    expect(recordJsonbTexts({ ...base, return_value: null }).return_value).toBe('null');
  });

  it('writes changes in their known member order exactly as the general path sorts them', () => {
    const cases: unknown[] = [
      [],
      [{ attribute: 'userName', op: 'add', after: 'a@example.com' }],
      [
        { op: 'replace', attribute: 'name.givenName', before: 'A', after: 'B ✓ "q" \\ \n' },
        { attribute: 'password', op: 'replace', valueOmitted: true },
        { attribute: 'x', op: 'add', after: 'y'.repeat(256) + '…', truncated: true },
        { attribute: 'emails[type eq "work"].value', op: 'remove', before: '\ud800' },
      ],
      // Not plain changes: the general path, the same text.
      [{ attribute: 'a', op: 'add', after: 3 }],
      [{ attribute: 'a', op: 'add', extra: 'member' }],
      [{ attribute: 'a', op: 'add', after: undefined }],
      [{ attribute: 'a', op: 'add', after: { nested: true } }],
      [{ attribute: 'a', op: 'add' }, 'not an object', null, ['array']],
      [Object.assign(Object.create(null) as object, { attribute: 'a', op: 'add' })],
      { not: 'a list' },
      null,
      undefined,
    ];
    for (const changes of cases) expect(changesJsonbText(changes)).toBe(jsonbText(changes));
    const full = { ...base, changes: cases[2] };
    expect(recordJsonbTexts(full).changes).toBe(jsonbText(cases[2]));
  });

  it('binds the MAC to the tenant, the id and the hash', () => {
    const [key] = parseRecordKeys(`k1:${Buffer.alloc(32, 1).toString('base64')}`)!;
    const mac = recordMac(key, 'acme', 'id-1', 'h');
    expect(macMatches(key, 'acme', 'id-1', 'h', mac)).toBe(true);
    expect(macMatches(key, 'other', 'id-1', 'h', mac)).toBe(false);
    expect(macMatches(key, 'acme', 'id-2', 'h', mac)).toBe(false);
    expect(macMatches(key, 'acme', 'id-1', 'h2', mac)).toBe(false);
  });

  it('reads key lists, first current, and refuses short or malformed ones', () => {
    const keys = parseRecordKeys(`k2:${'A'.repeat(44)},k1:${'B'.repeat(44)}`);
    expect(keys?.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(parseRecordKeys('k1:c2hvcnQ=')).toBeUndefined();
    expect(parseRecordKeys('nokey')).toBeUndefined();
  });

  it('orders keys as jsonb reads them back, at every depth, leaving values alone', () => {
    const value = {
      displayName: 'A',
      name: { givenName: 'Ann', familyName: 'B' },
      emails: [{ value: 'a@example.com', type: 'work' }],
    };
    const ordered = inJsonbKeyOrder(value);
    expect(ordered).toEqual(value);
    expect(JSON.stringify(ordered)).toBe(
      '{"name":{"givenName":"Ann","familyName":"B"},"emails":[{"type":"work","value":"a@example.com"}],"displayName":"A"}',
    );
  });
});
