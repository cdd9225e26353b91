import { getMetadataStorage } from 'class-validator';
import { ApiError } from '../common/api-error';
import { AddressDto, MultiValuedAttributeDto, NameDto, UserDto } from './user.dto';
import * as mapper from './user.mapper';
import { resourceOf, validateUser } from './user.mapper';
import { USER_SCHEMA } from './user.schema';
import { FAST_PATH_ATTRIBUTES, validateUserFast } from './user.fast-path';

const limits = { userNameLength: 20, stringLength: 60 };

function outcome(validate: (b: unknown) => UserDto, body: unknown) {
  try {
    const dto = validate(structuredClone(body));
    return {
      ok: {
        userName: dto.userName,
        externalId: dto.externalId,
        active: dto.active,
        password: dto.password,
        schemas: dto.schemas,
        resource: resourceOf(dto),
      },
    };
  } catch (e) {
    return { error: (e as ApiError).detail };
  }
}

const base = { schemas: [USER_SCHEMA], userName: 'bjensen' };
const PROTO =
  '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p","__proto__":{"x":1}}';
const bodies: unknown[] = [
  // Plainly valid: the fast path.
  base,
  { ...base, externalId: 'x', active: false, password: 'p', displayName: 'B' },
  {
    ...base,
    name: { givenName: 'Barbara', familyName: 'Jensen', formatted: 'Ms. B' },
    emails: [{ value: 'b@example.com', type: 'work', primary: true }, { value: 'c@example.com' }],
    addresses: [{ streetAddress: '1 Main St', locality: 'X', country: 'US', primary: false }],
    phoneNumbers: [],
    roles: [{ value: 'r', display: 'R' }],
  },
  { SCHEMAS: [USER_SCHEMA], USERNAME: 'upper', Emails: [{ value: 'e@example.com' }] },
  { ...base, id: 'ignored', meta: { version: 'x' }, groups: [{ value: 'g' }] },
  // The slow path: accepted once stripped...
  { ...base, unknown: 1 },
  { ...base, name: { givenName: 'B', nickname: 'x' } },
  { ...base, emails: [{ value: 'e', Primary: true }] },
  { ...base, name: null },
  { ...base, displayName: null },
  // ... or refused, in the slow path's words (a top-level `__proto__` as a nested one).
  JSON.parse(PROTO),
  { ...base, emails: [{ value: 'e', primary: 'true' }] },
  { ...base, emails: ['e@example.com'] },
  { ...base, emails: { value: 'e' } },
  { ...base, name: 'B' },
  { ...base, active: 'yes' },
  { ...base, userName: '' },
  { ...base, userName: '   ' },
  { ...base, userName: 'u'.repeat(21) },
  { ...base, title: 't'.repeat(61) },
  { ...base, emails: [{ value: 'e'.repeat(61) }] },
  { ...base, schemas: [] },
  { ...base, schemas: ['urn:other'] },
  { ...base, schemas: [USER_SCHEMA, 3] },
  { userName: 'no-schemas' },
  { schemas: [USER_SCHEMA] },
  { ...base, userName: 42 },
  [],
  'user',
  null,
];

describe('validateUserFast', () => {
  it.each(bodies.map((b, i) => [i, b]))('agrees with validateUser on body %i', (i, body) => {
    const expected = outcome((b) => validateUser(b, limits), body);
    expect(outcome((b) => validateUserFast(b, limits), body)).toEqual(expected);
    // The first ten are valid: the comparison covers accepted users, not only errors.
    expect('ok' in expected).toBe((i as number) < 10);
  });

  it('takes the fast path for bodies that are plainly valid, and only for those', () => {
    const slow = jest.spyOn(mapper, 'validateUser');
    try {
      for (const body of bodies.slice(0, 5)) validateUserFast(structuredClone(body), limits);
      expect(slow).not.toHaveBeenCalled();
      validateUserFast({ ...base, unknown: 1 }, limits);
      expect(slow).toHaveBeenCalledTimes(1);
    } finally {
      slow.mockRestore();
    }
  });

  it('knows exactly the attributes UserDto and its nested DTOs validate', () => {
    const props = (target: new () => unknown) =>
      new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(target, '', true, false)
          .map((m) => m.propertyName),
      );
    const A = FAST_PATH_ATTRIBUTES;
    expect(props(UserDto)).toEqual(
      new Set(['schemas', ...A.strings, ...A.booleans, 'name', ...A.multiValued, 'addresses']),
    );
    expect(props(NameDto)).toEqual(new Set(A.name));
    expect(props(MultiValuedAttributeDto)).toEqual(
      new Set([...A.multiValuedItem.strings, ...A.multiValuedItem.booleans]),
    );
    expect(props(AddressDto)).toEqual(new Set([...A.address.strings, ...A.address.booleans]));
  });
});
