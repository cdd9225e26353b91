import { attr, complex, multi, SchemaDefinition, str } from '../scim/scim-schema';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The core User (RFC 7643 §4.1), declared once. /Schemas publishes it as it stands; the
 * attribute names, the fast path's type table and the filter schema are derived from it
 * (user-attributes.ts); UserDto carries the same members, which a unit spec checks.
 */
export const USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account (RFC 7643 §4.1)',
  attributes: [
    str('userName', { required: true, uniqueness: 'server' }),
    complex('name', [
      str('formatted'),
      str('familyName'),
      str('givenName'),
      str('middleName'),
      str('honorificPrefix'),
      str('honorificSuffix'),
    ]),
    str('displayName'),
    str('nickName'),
    attr('profileUrl', 'reference', { referenceTypes: ['external'] }),
    str('title'),
    str('userType'),
    str('preferredLanguage'),
    str('locale'),
    str('timezone'),
    attr('active', 'boolean'),
    str('password', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', ['work', 'home', 'other']),
    multi('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', ['photo', 'thumbnail'], 'reference', ['external']),
    complex(
      'addresses',
      [
        str('formatted'),
        str('streetAddress'),
        str('locality'),
        str('region'),
        str('postalCode'),
        str('country'),
        str('type', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean'),
      ],
      { multiValued: true },
    ),
    complex('groups', [str('value'), str('display'), str('type')], {
      multiValued: true,
      mutability: 'readOnly',
    }),
    multi('entitlements', []),
    multi('roles', []),
    multi('x509Certificates', [], 'binary'),
  ],
};
