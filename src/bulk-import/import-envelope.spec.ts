import { ApiError } from '../common/api-error';
import { readImportEnvelope } from './import-envelope';
import { IMPORT_KINDS } from './import-kinds';

const limits = { maxItems: 3, stringLength: 20 };
const users = IMPORT_KINDS.users;

function refusal(body: unknown, spec = users): { status: number; scimType?: string } {
  try {
    readImportEnvelope(spec, body, limits);
  } catch (e) {
    const error = e as ApiError;
    return { status: error.status, scimType: error.options.scimType };
  }
  throw new Error('expected a refusal');
}

describe('readImportEnvelope', () => {
  it('reads the items and the group', () => {
    const envelope = readImportEnvelope(
      users,
      { users: [{ externalId: 'a' }, 'not even an object'], group: { value: 'UG_ROOT' } },
      limits,
    );
    expect(envelope.items).toHaveLength(2);
    expect(envelope.options).toEqual({ group: { value: 'UG_ROOT' } });
  });

  it('matches member names case-insensitively and ignores other members', () => {
    const envelope = readImportEnvelope(
      users,
      { schemas: ['x'], Users: [{}], GROUP: { Value: 'G' } },
      limits,
    );
    expect(envelope.items).toHaveLength(1);
    expect(envelope.options.group).toEqual({ value: 'G' });
  });

  it.each([
    [null, 'invalidSyntax'],
    [[], 'invalidSyntax'],
    [{}, 'invalidSyntax'],
    [{ users: {} }, 'invalidSyntax'],
    [{ users: [] }, 'invalidValue'],
    [{ users: [{}], group: 'G' }, 'invalidValue'],
    [{ users: [{}], group: { value: '' } }, 'invalidValue'],
    [{ users: [{}], group: { value: 'x'.repeat(21) } }, 'invalidValue'],
  ])('refuses %j with 400 %s', (body, scimType) => {
    expect(refusal(body)).toEqual({ status: 400, scimType });
  });

  it('answers tooMany above the item limit', () => {
    expect(refusal({ users: [{}, {}, {}, {}] })).toEqual({ status: 400, scimType: 'tooMany' });
    expect(readImportEnvelope(users, { users: [{}, {}, {}] }, limits).items).toHaveLength(3);
  });

  it('reads devices and organizations under their own member, without a group', () => {
    const devices = readImportEnvelope(IMPORT_KINDS.devices, { devices: [{}], group: 1 }, limits);
    expect(devices).toEqual({ items: [{}], options: {} });
    expect(refusal({ users: [{}] }, IMPORT_KINDS.organizations).scimType).toBe('invalidSyntax');
  });
});
