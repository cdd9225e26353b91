import { ApiError } from '../common/api-error';
import { ScimFilterError } from './filter';
import { applyPatch, PatchOptions } from './scim-patch';
import { PATCH_OP_SCHEMA } from './scim-constants';

const NAMES = [
  'id',
  'displayName',
  'nickName',
  'name',
  'givenName',
  'familyName',
  'emails',
  'value',
];
const options: PatchOptions = {
  canonicalName: (n) => NAMES.find((c) => c.toLowerCase() === n.toLowerCase()) ?? n,
  readOnly: new Set(['id', 'meta']),
};
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

type Json = Record<string, unknown>;

function user(): Json {
  return {
    userName: 'bjensen',
    displayName: 'Babs',
    active: true,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [
      { value: 'work@example.com', type: 'work', primary: true },
      { value: 'home@example.com', type: 'home' },
    ],
  };
}

const ops = (...operations: Json[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations: operations });
const patch = (resource: Json, ...operations: Json[]) =>
  applyPatch(resource, ops(...operations), options);

function refusal(fn: () => unknown): { status: number; scimType?: string } {
  try {
    fn();
  } catch (e) {
    // Paths are parsed by the filter engine, whose errors the exception filter renders as 400.
    if (e instanceof ScimFilterError) return { status: 400, scimType: e.scimType };
    expect(e).toBeInstanceOf(ApiError);
    const error = e as ApiError;
    return { status: error.status, scimType: error.options.scimType };
  }
  throw new Error('expected a refusal');
}

describe('applyPatch (RFC 7644 §3.5.2)', () => {
  it('returns a new resource and leaves the input alone', () => {
    const input = user();
    const out = patch(input, { op: 'replace', path: 'displayName', value: 'B' });
    expect(out.displayName).toBe('B');
    expect(input).toEqual(user());
  });

  describe('add', () => {
    it('sets a missing simple attribute', () => {
      expect(patch(user(), { op: 'add', path: 'nickName', value: 'bj' }).nickName).toBe('bj');
    });

    it('appends to a multi-valued attribute, skipping values already there', () => {
      const out = patch(user(), {
        op: 'add',
        path: 'emails',
        value: [{ value: 'home@example.com', type: 'home' }, { value: 'new@example.com' }],
      });
      expect(out.emails).toEqual([...(user().emails as Json[]), { value: 'new@example.com' }]);
    });

    it('wraps a single value added to a multi-valued attribute', () => {
      const out = patch(user(), { op: 'add', path: 'emails', value: { value: 'x@example.com' } });
      expect((out.emails as Json[]).at(-1)).toEqual({ value: 'x@example.com' });
    });

    it('merges into a complex attribute', () => {
      const out = patch(user(), { op: 'add', path: 'name', value: { middleName: 'Q' } });
      expect(out.name).toEqual({ givenName: 'Barbara', familyName: 'Jensen', middleName: 'Q' });
    });

    it('without a path, applies each member of the value', () => {
      const out = patch(user(), {
        op: 'add',
        value: { NICKNAME: 'bj', emails: [{ value: 'x@example.com' }] },
      });
      expect(out.nickName).toBe('bj');
      expect(out.emails).toHaveLength(3);
    });

    it('creates the parent of a sub-attribute', () => {
      const out = patch({ userName: 'x' }, { op: 'add', path: 'name.givenName', value: 'G' });
      expect(out.name).toEqual({ givenName: 'G' });
    });
  });

  describe('replace', () => {
    it('replaces a multi-valued attribute as a whole', () => {
      const out = patch(user(), { op: 'replace', path: 'emails', value: [{ value: 'only@x' }] });
      expect(out.emails).toEqual([{ value: 'only@x' }]);
    });

    it('replaces a sub-attribute of the elements a value path selects', () => {
      const out = patch(user(), {
        op: 'replace',
        path: 'emails[type eq "work"].value',
        value: 'new@example.com',
      });
      expect(out.emails).toEqual([
        { value: 'new@example.com', type: 'work', primary: true },
        { value: 'home@example.com', type: 'home' },
      ]);
    });

    it('replaces whole selected elements when the value path has no sub-attribute', () => {
      const out = patch(user(), {
        op: 'replace',
        path: 'emails[type eq "home"]',
        value: { value: 'h2@example.com', type: 'home' },
      });
      expect((out.emails as Json[])[1]).toEqual({ value: 'h2@example.com', type: 'home' });
    });

    it('sets a sub-attribute on every element without a filter', () => {
      const out = patch(user(), { op: 'replace', path: 'emails.primary', value: false });
      expect((out.emails as Json[]).map((e) => e.primary)).toEqual([false, false]);
    });

    it('reads names, ops and the Operations key case-insensitively, writing schema spelling', () => {
      const out = applyPatch(
        user(),
        {
          schemas: [PATCH_OP_SCHEMA],
          operations: [{ OP: 'Replace', Path: 'NAME.GIVENNAME', Value: 'Barb' }],
        },
        options,
      );
      expect(out.name).toEqual({ givenName: 'Barb', familyName: 'Jensen' });
    });

    it('keeps a value that existed under another spelling in one key', () => {
      const out = patch(
        { userName: 'x', DisplayName: 'Old' },
        {
          op: 'replace',
          path: 'displayName',
          value: 'New',
        },
      );
      expect(out).toEqual({ userName: 'x', DisplayName: 'New' });
    });

    it('takes a URN-prefixed path', () => {
      const out = patch(user(), { op: 'replace', path: `${USER_URN}:name.familyName`, value: 'J' });
      expect((out.name as Json).familyName).toBe('J');
    });

    it.each([
      ['False', false],
      ['TRUE', true],
      [false, false],
    ])('reads active %j as a boolean (Entra ID sends strings)', (value, expected) => {
      expect(patch(user(), { op: 'replace', path: 'active', value }).active).toBe(expected);
      expect(patch(user(), { op: 'replace', value: { active: value } }).active).toBe(expected);
    });

    it('leaves "True" alone on other attributes', () => {
      expect(patch(user(), { op: 'replace', path: 'nickName', value: 'True' }).nickName).toBe(
        'True',
      );
    });
  });

  describe('remove', () => {
    it('removes an attribute, a sub-attribute, and ignores what is absent', () => {
      const out = patch(
        user(),
        { op: 'remove', path: 'displayName' },
        { op: 'remove', path: 'name.familyName' },
        { op: 'remove', path: 'nickName' },
      );
      expect(out.displayName).toBeUndefined();
      expect(out.name).toEqual({ givenName: 'Barbara' });
    });

    it('removes the elements a value path selects', () => {
      const out = patch(user(), { op: 'remove', path: 'emails[type eq "work" or primary pr]' });
      expect(out.emails).toEqual([{ value: 'home@example.com', type: 'home' }]);
    });

    it('removes a sub-attribute of the selected elements only', () => {
      const out = patch(user(), { op: 'remove', path: 'emails[type eq "work"].primary' });
      expect(out.emails).toEqual([
        { value: 'work@example.com', type: 'work' },
        { value: 'home@example.com', type: 'home' },
      ]);
    });

    it('removes a sub-attribute from every element without a filter', () => {
      const out = patch(user(), { op: 'remove', path: 'emails.type' });
      expect((out.emails as Json[]).every((e) => !('type' in e))).toBe(true);
    });
  });

  describe('refusals', () => {
    it.each<[string, unknown, string]>([
      ['a non-object body', 'nope', 'invalidSyntax'],
      ['a body without the PatchOp schema', { Operations: [{ op: 'add' }] }, 'invalidSyntax'],
      ['no operations', { schemas: [PATCH_OP_SCHEMA], Operations: [] }, 'invalidSyntax'],
      ['an operation that is no object', ops('add' as unknown as Json), 'invalidSyntax'],
      ['an operation without op', ops({ path: 'nickName', value: 'x' }), 'invalidSyntax'],
      ['an unknown op', ops({ op: 'copy', path: 'nickName', value: 'x' }), 'invalidSyntax'],
      ['a non-string path', ops({ op: 'add', path: 3, value: 'x' }), 'invalidPath'],
      ['remove without a path', ops({ op: 'remove' }), 'noTarget'],
      ['add without a value', ops({ op: 'add', path: 'nickName' }), 'invalidValue'],
      ['a scalar value without a path', ops({ op: 'replace', value: 'x' }), 'invalidValue'],
      ['a read-only attribute', ops({ op: 'replace', path: 'ID', value: 'x' }), 'mutability'],
      [
        'a path three levels deep',
        ops({ op: 'add', path: 'name.givenName.x', value: 1 }),
        'invalidPath',
      ],
      [
        'a broken value path',
        ops({ op: 'add', path: 'emails[type eq "a"', value: 1 }),
        'invalidPath',
      ],
      [
        'a value path matching nothing',
        ops({ op: 'replace', path: 'emails[type eq "fax"].value', value: 'x' }),
        'noTarget',
      ],
      [
        'a scalar for a selected element',
        ops({ op: 'replace', path: 'emails[type eq "work"]', value: 'x' }),
        'invalidValue',
      ],
      [
        'a value path on a single-valued attribute',
        ops({ op: 'remove', path: 'name[givenName pr]' }),
        'noTarget',
      ],
    ])('refuses %s', (_label, body, scimType) => {
      expect(refusal(() => applyPatch(user(), body, options))).toEqual({ status: 400, scimType });
    });

    it('applies nothing when a later operation fails', () => {
      const input = user();
      expect(() =>
        patch(input, { op: 'replace', path: 'displayName', value: 'changed' }, { op: 'remove' }),
      ).toThrow(ApiError);
      expect(input.displayName).toBe('Babs');
    });
  });
});
