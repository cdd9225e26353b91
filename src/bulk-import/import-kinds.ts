import { AuditAction } from '../audit/audit-actions';

export type ImportKind = 'users' | 'devices' | 'organizations';

/** What differs between the three imports: names in the body, the URL and the records. */
export interface ImportKindSpec {
  kind: ImportKind;
  /** The body member holding the items, and the resource path they land under. */
  bodyKey: ImportKind;
  resourcePath: 'Users' | 'Devices' | 'Organizations';
  importAction: AuditAction;
  itemAction: AuditAction;
  responseSchema: string;
  resourceType: string;
  /** What one item is called in messages. */
  itemName: string;
}

export const IMPORT_KINDS: Record<ImportKind, ImportKindSpec> = {
  users: {
    kind: 'users',
    bodyKey: 'users',
    resourcePath: 'Users',
    importAction: 'importUsers',
    itemAction: 'createUser',
    responseSchema: 'urn:hid:scim:api:idp:2.0:user:ImportResponse',
    resourceType: 'UserImportResponse',
    itemName: 'user',
  },
  devices: {
    kind: 'devices',
    bodyKey: 'devices',
    resourcePath: 'Devices',
    importAction: 'importDevices',
    itemAction: 'addDevice',
    responseSchema: 'urn:hid:scim:api:idp:2.0:device:ImportResponse',
    resourceType: 'DeviceImportResponse',
    itemName: 'device',
  },
  organizations: {
    kind: 'organizations',
    bodyKey: 'organizations',
    resourcePath: 'Organizations',
    importAction: 'importOrganizations',
    itemAction: 'createOrganization',
    responseSchema: 'urn:hid:scim:api:idp:2.0:organization:ImportResponse',
    resourceType: 'OrganizationImportResponse',
    itemName: 'organization',
  },
};
