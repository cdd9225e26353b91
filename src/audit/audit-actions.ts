/**
 * The action catalogue: HID's vocabulary, declared once. Every audit record names one.
 */
export const AUDIT_ACTIONS = [
  'primaryAuthenticateUP',
  'createUser',
  'updateUser',
  'deleteUser',
  'createAdapterConfiguration',
  'updateAdapterConfiguration',
  'deleteAdapterConfiguration',
  'createUPAuthenticator',
  'updateUPAuthenticator',
  'deleteUPAuthenticator',
  'importUsers',
  'importDevices',
  'importOrganizations',
  'addDevice',
  'createOrganization',
  'createCibaRequest',
  'indirectDeliverChallenge',
  'approveChallenge',
  'denyChallenge',
  'expireCibaRequest',
  'notifyCibaClient',
  'searchAuditRecords',
  'readAuditRecord',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditResult = 'RESPONSE_SUCCESS' | 'RESPONSE_FAILURE';

/** Reads of the audit trail: recorded only when AUDIT_LOG_ACCESS is on. */
export const AUDIT_ACCESS_ACTIONS: ReadonlySet<AuditAction> = new Set<AuditAction>([
  'searchAuditRecords',
  'readAuditRecord',
]);
