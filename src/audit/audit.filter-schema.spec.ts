import { compileScimFilter, parseScimFilter, ScimFilterError, SqlParams } from '../scim/filter';
import { AUDIT_FILTER_SCHEMA, EVENTS_FILTER_SCHEMA } from './audit.filter-schema';

function compile(text: string, schema = AUDIT_FILTER_SCHEMA) {
  const params = new SqlParams(2);
  return { sql: compileScimFilter(parseScimFilter(text), schema, params), values: params.values };
}

describe('the AuditRecord filter schema', () => {
  it("compiles HID's unquoted sample to an indexed equality", () => {
    expect(compile('correlationId eq f058ebd6-02f7-4d3f-942e-904344e8cde5')).toEqual({
      sql: 'r.correlation_id = $2',
      values: ['f058ebd6-02f7-4d3f-942e-904344e8cde5'],
    });
  });

  it('reads action.actionParameters.COI from the typed coi column, as coi does', () => {
    expect(compile('action.actionParameters.COI eq "13U8F2URK9GC8Q9FQELR"').sql).toBe('r.coi = $2');
    expect(compile('coi eq 13U8F2URK9GC8Q9FQELR').sql).toBe('r.coi = $2');
    expect(compile('action.actionParameters[COI eq "X"]').sql).toBe('r.coi = $2');
  });

  it('reads any other parameter from the map, case-exactly, the key bound', () => {
    expect(compile('action.actionParameters.LHT eq "bjensen"')).toEqual({
      sql: 'r.action_parameters @> jsonb_build_object($2::text, $3::text)',
      values: ['LHT', 'bjensen'],
    });
  });

  it('searches changes, client and traceId, every value bound', () => {
    const active = compile('changes[attribute eq "active" and after eq "false"]');
    expect(active.sql).toContain('jsonb_array_elements');
    expect(active.sql).toContain("(scim_e1.v ->> 'after') = $3");
    expect(active.values).toEqual(['active', 'false']);
    expect(compile('changes.attribute eq "active"').values).toEqual(['active']);
    expect(compile('client.ipAddress eq "10.0.0.1"')).toEqual({
      sql: "(r.client ->> 'ipAddress') = $2",
      values: ['10.0.0.1'],
    });
    expect(compile('traceId eq 4bf92f3577b34da6a3ce929d0e0e4736').sql).toBe('r.trace_id = $2');
    expect(() => compile('changes[nope eq "x"]')).toThrow(ScimFilterError);
  });

  it('compares requestId as the text the expression index holds', () => {
    expect(compile('requestId eq "0193b6c4-0000-7000-8000-000000000001"').sql).toBe(
      'r.request_id::text = $2',
    );
  });

  it.each([
    ['actingUserId.session.id eq "jti"', 'r.acting_session_id = $2'],
    ['actingUserId[immutableId eq "u"]', 'r.acting_user_immutable_id = $2'],
    ['targetUserId.id eq "bjensen"', 'r.target_user_id = $2'],
    [
      'targetUserId.immutableId pr',
      "(r.target_user_immutable_id IS NOT NULL AND r.target_user_immutable_id <> '')",
    ],
    ['service.id eq "CH_DIRECT"', 'r.service_id = $2'],
    ['result eq "RESPONSE_FAILURE"', 'r.result = $2'],
    ['message eq "Failed"', 'lower(r.message) = lower($2::text)'],
    ['id eq "0193b6c4-0000-7000-8000-000000000001"', 'r.id::text = $2'],
    ['created gt "2020-12-15T00:00:00Z"', 'r.created > $2::timestamptz'],
    ['meta.created le "2020-12-15T00:00:00+01:00"', 'r.created <= $2::timestamptz'],
  ])('%s', (text, sql) => {
    expect(compile(text).sql).toBe(sql);
  });

  it('keeps the tenant out of reach: tenantId is not an attribute', () => {
    expect(() => compile('tenantId eq "other"')).toThrow(ScimFilterError);
    expect(() => compile('hash pr')).toThrow(/unknown attribute "hash"/);
  });

  it('matches correlationId against the COI in the Events search', () => {
    expect(compile('correlationId eq X', EVENTS_FILTER_SCHEMA).sql).toBe('r.coi = $2');
    expect(compile('requestId pr', EVENTS_FILTER_SCHEMA).sql).toContain('r.request_id::text');
  });
});
