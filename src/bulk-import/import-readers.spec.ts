import { ApiError } from '../common/api-error';
import { readDeviceInput } from '../devices/device-input';
import { batchEnd, COSTLY_ITEMS_PER_BATCH } from './import-batch.service';
import { readOrganizationInput } from '../organizations/organization-input';
import { readImportedUser, UserImportProcessor } from './user-import.processor';
import { USER_SCHEMA } from '../users/user.schema';

const limits = { userNameLength: 256, stringLength: 1024 };

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (e) {
    return `${(e as ApiError).status} ${(e as ApiError).options.scimType}`;
  }
  throw new Error('expected a refusal');
}

describe('readImportedUser', () => {
  it('takes userName from externalId, else the first email, and needs no schemas', () => {
    expect(
      readImportedUser({ externalId: 'ext', emails: [{ value: 'a@x' }] }, limits).userName,
    ).toBe('ext');
    expect(
      readImportedUser({ emails: [{ value: 'a@x' }, { value: 'b@x' }] }, limits).userName,
    ).toBe('a@x');
    const user = readImportedUser({ USERNAME: 'given', externalId: 'ext' }, limits);
    expect(user).toMatchObject({ userName: 'given', externalId: 'ext' });
    expect(user.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  it('refuses a user with nothing to name it, or one POST /Users would refuse', () => {
    expect(refusal(() => readImportedUser({ name: { givenName: 'x' } }, limits))).toBe(
      '400 invalidValue',
    );
    expect(refusal(() => readImportedUser({ externalId: ' ', emails: [] }, limits))).toBe(
      '400 invalidValue',
    );
    expect(refusal(() => readImportedUser({ userName: 'u', active: 'yes' }, limits))).toBe(
      '400 invalidValue',
    );
    expect(refusal(() => readImportedUser({ userName: 'u', schemas: ['urn:x'] }, limits))).toBe(
      '400 invalidValue',
    );
    expect(refusal(() => readImportedUser('u', limits))).toBe('400 invalidSyntax');
  });

  it('takes a passwordHash (any case) beside the SCIM attributes, never with a password', () => {
    const hash = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
    expect(readImportedUser({ userName: 'u', PasswordHash: hash }, limits)).toMatchObject({
      userName: 'u',
      passwordHash: hash,
    });
    expect(
      refusal(() => readImportedUser({ userName: 'u', passwordHash: hash, password: 'p' }, limits)),
    ).toBe('400 invalidValue');
    expect(refusal(() => readImportedUser({ userName: 'u', passwordHash: 'plain' }, limits))).toBe(
      '400 invalidValue',
    );
    expect(refusal(() => readImportedUser({ userName: 'u', passwordHash: 7 }, limits))).toBe(
      '400 invalidValue',
    );
  });

  it('leaves the item it reads as it was, with or without a passwordHash', () => {
    const hash = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
    for (const item of [
      { UserName: 'u' },
      { userName: 'u', PASSWORDHASH: null },
      { userName: 'u', passwordHash: hash },
    ]) {
      const before = structuredClone(item);
      const user = readImportedUser(item, limits);
      expect(item).toEqual(before);
      expect(user).toMatchObject({ userName: 'u', schemas: [USER_SCHEMA] });
      expect(Object.keys(user).filter((k) => k.toLowerCase() === 'passwordhash')).toEqual(
        'passwordHash' in item ? ['passwordHash'] : [],
      );
    }
  });
});

describe('readDeviceInput', () => {
  it('reads a device, its status case-insensitively (ACTIVE by default) and its owner', () => {
    expect(readDeviceInput({ serialNumber: 'S', type: 'T' }, limits)).toEqual({
      serialNumber: 'S',
      type: 'T',
      status: 'ACTIVE',
    });
    expect(
      readDeviceInput(
        {
          SerialNumber: 'S',
          type: 'T',
          status: 'revoked',
          externalId: 'e',
          owner: { userName: 'u' },
        },
        limits,
      ),
    ).toEqual({
      serialNumber: 'S',
      type: 'T',
      status: 'REVOKED',
      externalId: 'e',
      owner: { userName: 'u' },
    });
    expect(
      readDeviceInput(
        { serialNumber: 'S', type: 'T', owner: { value: 'id', userName: 'u' } },
        limits,
      ).owner,
    ).toEqual({ value: 'id' });
  });

  it.each([
    [{ type: 'T' }],
    [{ serialNumber: '', type: 'T' }],
    [{ serialNumber: 'S' }],
    [{ serialNumber: 'S', type: 'T', status: 'LOST' }],
    [{ serialNumber: 'S', type: 'T', owner: {} }],
    [{ serialNumber: 'x'.repeat(1025), type: 'T' }],
  ])('refuses %j', (device) => {
    expect(refusal(() => readDeviceInput(device, limits))).toBe('400 invalidValue');
  });
});

describe('readOrganizationInput', () => {
  it('reads name, externalId and a parent by id or externalId', () => {
    expect(readOrganizationInput({ name: 'N' }, limits)).toEqual({ name: 'N' });
    expect(
      readOrganizationInput({ name: 'N', externalId: 'e', parent: { externalId: 'p' } }, limits),
    ).toEqual({ name: 'N', externalId: 'e', parent: { externalId: 'p' } });
    expect(readOrganizationInput({ name: 'N', parent: { value: 'ABC' } }, limits).parent).toEqual({
      value: 'abc',
    });
  });

  it.each([[{}], [{ name: 3 }], [{ name: 'N', parent: {} }], [{ name: 'N', parent: 'p' }]])(
    'refuses %j',
    (organization) => {
      expect(refusal(() => readOrganizationInput(organization, limits))).toMatch(/^400 /);
    },
  );
});

describe('batchEnd', () => {
  const users = new UserImportProcessor(
    undefined as never,
    undefined as never,
    undefined as never,
    { limits } as never,
  );
  const withPassword = { userName: 'u', password: 'p' };

  it('takes the rest of the chunk when few items are costly', () => {
    expect(batchEnd([{}, withPassword, {}], 0, users)).toBe(3);
    expect(batchEnd([{}, withPassword, {}], 2, users)).toBe(3);
  });

  it('stops before the item that would exceed the costly items per batch', () => {
    const chunk = [{}, ...Array.from({ length: COSTLY_ITEMS_PER_BATCH + 5 }, () => withPassword)];
    expect(batchEnd(chunk, 0, users)).toBe(COSTLY_ITEMS_PER_BATCH + 1);
    expect(batchEnd(chunk, COSTLY_ITEMS_PER_BATCH + 1, users)).toBe(chunk.length);
  });
});
