import { ApiError } from '../common/api-error';
import { UserRow } from './user-row';
import { UserDto } from './user.dto';
import {
  canonicaliseKeys,
  resourceOf,
  resourceOfOwned,
  toUserResource,
  userVersion,
  validateUser,
  writableView,
} from './user.mapper';
import { USER_SCHEMA } from './user.schema';
import { validateUserFast } from './user.fast-path';

const limits = { userNameLength: 256, stringLength: 1024 };

function row(overrides: Partial<UserRow> = {}): UserRow {
  return {
    id: '0193b6c4-0000-7000-8000-000000000001',
    tenant_id: 'acme',
    user_name: 'bjensen',
    external_id: null,
    active: true,
    service_account: false,
    password_hash: 'scrypt:salt:hash',
    resource: { schemas: ['ignored'], displayName: 'Babs', emails: [{ value: 'b@x' }] },
    version: 3,
    created: new Date('2020-12-15T11:05:39.799Z'),
    last_modified: new Date('2020-12-15T11:05:41.561Z'),
    ...overrides,
  };
}

function refusal(fn: () => unknown): { status: number; scimType?: string; detail: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    const error = e as ApiError;
    return { status: error.status, scimType: error.options.scimType, detail: error.detail };
  }
  throw new Error('expected a refusal');
}

describe('user mapper', () => {
  describe('canonicaliseKeys', () => {
    it('writes known top-level names in schema spelling and keeps unknown ones', () => {
      expect(
        canonicaliseKeys({ USERNAME: 'a', displayname: 'b', PhoneNumbers: [], fooBar: 1 }),
      ).toEqual({ userName: 'a', displayName: 'b', phoneNumbers: [], fooBar: 1 });
    });

    it('keeps a `__proto__` member a member, for the validators to refuse', () => {
      const copy = canonicaliseKeys(
        JSON.parse('{"userName": "a", "__proto__": {"password": "p"}}'),
      );
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
      expect(Object.keys(copy)).toEqual(['userName', '__proto__']);
      expect(copy.password).toBeUndefined();
      expect(refusal(() => validateUser({ ...copy, schemas: [USER_SCHEMA] }, limits))).toEqual({
        status: 400,
        scimType: 'invalidValue',
        detail: '__proto__ is not an attribute name',
      });
    });
  });

  describe('validateUser', () => {
    it('accepts a core User and keeps its attributes', () => {
      const dto = validateUser(
        {
          schemas: [USER_SCHEMA],
          userName: 'bjensen',
          name: { givenName: 'B' },
          emails: [{ value: 'b@x', type: 'work', primary: true }],
          active: false,
        },
        limits,
      );
      expect(dto).toMatchObject({
        userName: 'bjensen',
        name: { givenName: 'B' },
        emails: [{ value: 'b@x', type: 'work', primary: true }],
        active: false,
      });
    });

    it('drops server-owned attributes (id, meta, groups)', () => {
      const dto = validateUser(
        {
          schemas: [USER_SCHEMA],
          userName: 'x',
          id: 'mine',
          meta: { version: 'W/"9"' },
          groups: [{ value: 'g' }],
        },
        limits,
      );
      expect(resourceOf(dto)).toEqual({});
    });

    it('reads attribute names case-insensitively', () => {
      const dto = validateUser({ SCHEMAS: [USER_SCHEMA], UserName: 'x', DisplayName: 'D' }, limits);
      expect(dto.userName).toBe('x');
      expect(dto.displayName).toBe('D');
    });

    it.each<[string, unknown, RegExp]>([
      ['a non-object body', 'x', /SCIM User object/],
      ['an array body', [], /SCIM User object/],
      ['null', null, /SCIM User object/],
      ['no userName', { schemas: [USER_SCHEMA] }, /userName/],
      ['a blank userName', { schemas: [USER_SCHEMA], userName: ' ' }, /blank/],
      ['no schemas', { userName: 'x' }, /schemas/],
      ['the wrong schema', { schemas: ['urn:x'], userName: 'x' }, /schemas must contain/],
      ['a non-boolean active', { schemas: [USER_SCHEMA], userName: 'x', active: 'yes' }, /active/],
      ['a bad email', { schemas: [USER_SCHEMA], userName: 'x', emails: [{ value: 1 }] }, /emails/],
    ])('refuses %s', (_label, body, detail) => {
      const error = refusal(() => validateUser(body, limits));
      expect(error.status).toBe(400);
      expect(['invalidSyntax', 'invalidValue']).toContain(error.scimType);
      expect(error.detail).toMatch(detail);
    });

    it('enforces the userName limit', () => {
      const body = (userName: string) => ({ schemas: [USER_SCHEMA], userName });
      expect(validateUser(body('u'.repeat(256)), limits).userName).toHaveLength(256);
      expect(refusal(() => validateUser(body('u'.repeat(257)), limits))).toMatchObject({
        status: 400,
        scimType: 'invalidValue',
        detail: 'userName must be at most 256 characters',
      });
    });

    it('enforces the string limit everywhere and names the path', () => {
      const long = 's'.repeat(1025);
      const base = { schemas: [USER_SCHEMA], userName: 'x' };
      expect(validateUser({ ...base, displayName: 's'.repeat(1024) }, limits)).toBeDefined();
      expect(refusal(() => validateUser({ ...base, displayName: long }, limits)).detail).toBe(
        'displayName must be at most 1024 characters',
      );
      expect(
        refusal(() => validateUser({ ...base, emails: [{ value: 'ok' }, { value: long }] }, limits))
          .detail,
      ).toBe('emails[1].value must be at most 1024 characters');
      expect(
        refusal(() => validateUser({ ...base, name: { familyName: long } }, limits)).detail,
      ).toBe('name.familyName must be at most 1024 characters');
    });

    it('does not apply the string limit to the schema URNs', () => {
      const tiny = { userNameLength: 256, stringLength: 5 };
      expect(
        validateUser({ schemas: [USER_SCHEMA], userName: 'abc', title: 'short' }, tiny),
      ).toBeDefined();
    });

    it('honours configured limits', () => {
      const small = { userNameLength: 3, stringLength: 45 };
      expect(
        refusal(() => validateUser({ schemas: [USER_SCHEMA], userName: 'abcd' }, small)).status,
      ).toBe(400);
      expect(
        refusal(() =>
          validateUser({ schemas: [USER_SCHEMA], userName: 'abc', title: 'x'.repeat(46) }, small),
        ).detail,
      ).toMatch(/title/);
    });
  });

  describe('resourceOf', () => {
    it('keeps everything but the attributes stored in columns', () => {
      const dto = validateUser(
        {
          schemas: [USER_SCHEMA],
          userName: 'x',
          externalId: 'e',
          active: true,
          password: 'secret',
          displayName: 'D',
          name: { givenName: 'G' },
        },
        limits,
      );
      expect(resourceOf(dto)).toEqual({ displayName: 'D', name: { givenName: 'G' } });
    });

    it('copies the data as a JSON round trip would, sharing nothing with the DTO', () => {
      const emails = [{ value: 'a@example.com', primary: true }];
      const plain = { userName: 'x', emails, name: { givenName: 'G', familyName: undefined } };
      const copy = resourceOf(plain as unknown as UserDto);
      expect(copy).toStrictEqual(JSON.parse(JSON.stringify({ emails, name: plain.name })));
      expect(copy.emails).not.toBe(emails);
      expect((copy.emails as unknown[])[0]).not.toBe(emails[0]);
      // What only the round trip gives: class instances flattened, odd values as JSON has them.
      const odd = {
        userName: 'x',
        title: new String('t'),
        addresses: [undefined, { formatted: 'f' }],
        displayName: { toJSON: () => 'D' },
        nickName: Object.assign(Object.create(null), { a: NaN }),
      };
      expect(resourceOf(odd as unknown as UserDto)).toStrictEqual(
        JSON.parse(JSON.stringify({ ...odd, userName: undefined })),
      );
      const proto = JSON.parse('{"userName": "x", "name": {"__proto__": {"a": 1}}}');
      expect(resourceOf(proto)).toStrictEqual(JSON.parse('{"name": {"__proto__": {"a": 1}}}'));
    });

    it('takes an owned DTO of the fast path as it is, and copies any other', () => {
      const body = {
        schemas: [USER_SCHEMA],
        userName: 'x',
        password: 'secret',
        name: { givenName: 'G' },
        emails: [{ value: 'a@example.com', primary: true }],
      };
      const fast = validateUserFast(body, limits);
      expect(Object.getPrototypeOf(fast)).toBe(Object.prototype);
      const owned = resourceOfOwned(fast);
      expect(owned).toStrictEqual(resourceOf(validateUserFast(body, limits)));
      expect(owned.name).toBe(fast.name);
      // A DTO of the class-validator path (a null the fast path leaves to it) is copied.
      const slow = validateUser({ ...body, name: { givenName: 'G', middleName: null } }, limits);
      expect(Object.getPrototypeOf(slow)).not.toBe(Object.prototype);
      expect(resourceOfOwned(slow)).toStrictEqual(resourceOf(slow));
      expect(Object.getPrototypeOf(resourceOfOwned(slow).name)).toBe(Object.prototype);
    });
  });

  describe('toUserResource', () => {
    it('renders the SCIM representation from columns and resource', () => {
      expect(toUserResource(row({ external_id: 'ext' }), 'https://api.example')).toEqual({
        schemas: [USER_SCHEMA],
        id: '0193b6c4-0000-7000-8000-000000000001',
        externalId: 'ext',
        userName: 'bjensen',
        displayName: 'Babs',
        emails: [{ value: 'b@x' }],
        active: true,
        meta: {
          resourceType: 'User',
          created: '2020-12-15T11:05:39.799Z',
          lastModified: '2020-12-15T11:05:41.561Z',
          location: 'https://api.example/acme/v2/Users/0193b6c4-0000-7000-8000-000000000001',
          version: 'W/"3"',
        },
      });
    });

    it('never renders the password, even if the resource held one', () => {
      const resource = toUserResource(
        row({ resource: { password: 'leaked?' } as Record<string, unknown> }),
        'https://api.example',
      );
      expect(JSON.stringify(resource)).not.toMatch(/password|scrypt|leaked/);
    });

    it('leaves externalId out when there is none, and the columns win over the resource', () => {
      const resource = toUserResource(
        row({
          active: false,
          resource: { active: true, userName: 'stale', id: 'other', externalId: 'old', meta: {} },
        }),
        'https://api.example',
      );
      expect(resource).toMatchObject({ id: row().id, userName: 'bjensen', active: false });
      expect(resource.externalId).toBeUndefined();
      expect(writableView(row({ resource: { UserName: 'stale', Password: 'p' } }))).toEqual({
        schemas: [USER_SCHEMA],
        userName: 'bjensen',
        active: true,
      });
    });
  });

  describe('writableView', () => {
    it('is what a client could have written, as a copy', () => {
      const source = row({ external_id: 'ext' });
      const view = writableView(source);
      expect(view).toEqual({
        schemas: [USER_SCHEMA],
        userName: 'bjensen',
        externalId: 'ext',
        active: true,
        displayName: 'Babs',
        emails: [{ value: 'b@x' }],
      });
      (view.emails as { value: string }[])[0].value = 'changed';
      expect((source.resource.emails as { value: string }[])[0].value).toBe('b@x');
    });
  });

  it('versions are weak ETags of the row version', () => {
    expect(userVersion(row({ version: 12 }))).toBe('W/"12"');
  });
});
