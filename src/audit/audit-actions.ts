/**
 * The action catalogue: HID's vocabulary, declared once, with the parameters each action's
 * records carry (`action.actionParameters`; `Action` and `COI` are added by AuditService).
 * Values are stored as strings; `undefined` members are left out.
 */

/** Where an import stands (its `import…` records). */
interface ImportStep {
  step: 'start' | 'end';
  importSize?: number;
  nbImported?: number;
  nbFailed?: number;
}

/** One imported entity's record; a failed item names its 0-based index instead. */
interface ImportedItem {
  index?: number;
  entityType?: 'Device' | 'Organization';
  entityId?: string;
  DSN?: string;
}

/** What a read of the trail asked for and got (AUDIT_LOG_ACCESS). */
interface TrailRead {
  endpoint?: string;
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  paging?: 'cursor' | 'index';
  startIndex?: number;
  count?: number;
  totalResults?: number;
  itemsPerPage?: number;
  recordId?: string;
}

/** What an export asked for: always recorded, whatever AUDIT_LOG_ACCESS says. */
interface TrailExport {
  filter?: string;
  format: 'ndjson' | 'csv';
  /** The record id it resumed after. */
  after?: string;
  /** The database time the export stops at. */
  until: string;
}

/** A log stream (an HTTP sink of the trail); `endpoint` is its URL without query or credentials. */
interface LogStreamChange {
  streamId: string;
  endpoint?: string;
  filter?: string;
  changed?: string;
  reason?: string;
  failures?: number;
}

interface ClientAuthenticator {
  clientId: string;
  authenticatorType?: 'CLIENT_SECRET';
}

/** Each action and the parameters its records may carry. */
export interface AuditActionParameters {
  primaryAuthenticateUP: { grantType?: string; scope?: string; deliveryMode?: string };
  createUser: ImportedItem & { userType?: 'ServiceAccount' };
  updateUser: { method: string; previousUserName?: string; passwordChanged?: 'true' };
  deleteUser: { userType?: 'ServiceAccount' };
  createAdapterConfiguration: { clientId: string; grantTypes: string; scope: string };
  updateAdapterConfiguration: {
    clientId: string;
    grantTypes: string;
    scope: string;
    changed: string;
    rotated?: 'registration_access_token';
  };
  deleteAdapterConfiguration: { clientId: string };
  createUPAuthenticator: ClientAuthenticator;
  updateUPAuthenticator: ClientAuthenticator & { rotated?: 'client_secret'; reason?: string };
  deleteUPAuthenticator: ClientAuthenticator;
  importUsers: ImportStep;
  importDevices: ImportStep;
  importOrganizations: ImportStep;
  addDevice: ImportedItem;
  updateDevice: ImportedItem & { method: string };
  deleteDevice: ImportedItem;
  createOrganization: ImportedItem;
  updateOrganization: ImportedItem & { method: string };
  deleteOrganization: ImportedItem;
  createCibaRequest: {
    clientId: string;
    scope: string;
    deliveryMode: string;
    hint: string;
    expiresIn: number;
    acrValues?: string;
    bindingMessage?: string;
    LHT?: string;
  };
  indirectDeliverChallenge: {
    LHT?: string;
    DSN?: string;
    CHC?: string;
    ATC?: string;
    clientId?: string;
    attempt?: number;
  };
  approveChallenge: { CLI?: string; DSN?: string; reason?: string };
  denyChallenge: { CLI?: string; DSN?: string; reason?: string };
  expireCibaRequest: { previousStatus: string; DSN?: string };
  notifyCibaClient: {
    attempt: number;
    deliveryMode?: string;
    result?: string;
    responseStatus?: number;
    endpoint?: string;
    retry?: 'scheduled' | 'exhausted';
  };
  searchAuditRecords: TrailRead;
  readAuditRecord: TrailRead;
  verifyAuditRecords: {
    from?: string;
    to?: string;
    verified: string;
    checkedRecords: number;
    checkedSeals: number;
    failedRecordId?: string;
    failedSealId?: string;
  };
  exportAuditRecords: TrailExport;
  tailAuditRecords: { filter?: string; after?: string };
  createLogStream: LogStreamChange;
  updateLogStream: LogStreamChange;
  pauseLogStream: LogStreamChange;
  resumeLogStream: LogStreamChange;
  deleteLogStream: LogStreamChange;
  purgeAuditRecords: {
    partition: string;
    from: string;
    to: string;
    records: number;
    seals: string;
    lastSealSeq: string;
    lastSealId: string;
  };
}

export type AuditAction = keyof AuditActionParameters;

/** Every action, for validation and documentation (the catalogue's keys, in one list). */
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
  'updateDevice',
  'deleteDevice',
  'createOrganization',
  'updateOrganization',
  'deleteOrganization',
  'createCibaRequest',
  'indirectDeliverChallenge',
  'approveChallenge',
  'denyChallenge',
  'expireCibaRequest',
  'notifyCibaClient',
  'searchAuditRecords',
  'readAuditRecord',
  'verifyAuditRecords',
  'exportAuditRecords',
  'tailAuditRecords',
  'createLogStream',
  'updateLogStream',
  'pauseLogStream',
  'resumeLogStream',
  'deleteLogStream',
  'purgeAuditRecords',
] as const satisfies readonly AuditAction[];

/** Compile-time check that the list above names every action of the catalogue. */
type Missing = Exclude<AuditAction, (typeof AUDIT_ACTIONS)[number]>;
const everyActionListed: [Missing] extends [never] ? true : Missing = true;
void everyActionListed;

/** A key an action's parameters may carry: the catalogue's, and the two AuditService adds. */
type AuditParameterKey =
  'Action' | 'COI' | { [A in AuditAction]: keyof AuditActionParameters[A] & string }[AuditAction];

/**
 * Every parameter key of the catalogue, in one list, for the AuditRecord schema's
 * `actionParameters` sub-attributes (a SCIM client builds its model from them).
 */
export const AUDIT_PARAMETER_KEYS = [
  'Action',
  'COI',
  'step',
  'importSize',
  'nbImported',
  'nbFailed',
  'index',
  'entityType',
  'entityId',
  'userType',
  'method',
  'previousUserName',
  'passwordChanged',
  'grantType',
  'grantTypes',
  'scope',
  'deliveryMode',
  'clientId',
  'changed',
  'rotated',
  'authenticatorType',
  'reason',
  'hint',
  'expiresIn',
  'acrValues',
  'bindingMessage',
  'LHT',
  'DSN',
  'CHC',
  'ATC',
  'CLI',
  'attempt',
  'previousStatus',
  'result',
  'responseStatus',
  'endpoint',
  'retry',
  'filter',
  'sortBy',
  'sortOrder',
  'paging',
  'startIndex',
  'count',
  'totalResults',
  'itemsPerPage',
  'recordId',
  'from',
  'to',
  'verified',
  'checkedRecords',
  'checkedSeals',
  'failedRecordId',
  'failedSealId',
  'format',
  'after',
  'until',
  'streamId',
  'failures',
  'partition',
  'records',
  'seals',
  'lastSealSeq',
  'lastSealId',
] as const satisfies readonly AuditParameterKey[];

/** Compile-time check that the list above names every parameter key of the catalogue. */
type MissingKey = Exclude<AuditParameterKey, (typeof AUDIT_PARAMETER_KEYS)[number]>;
const everyKeyListed: [MissingKey] extends [never] ? true : MissingKey = true;
void everyKeyListed;

export type AuditResult = 'RESPONSE_SUCCESS' | 'RESPONSE_FAILURE';

/**
 * Reads of the audit trail: recorded only when AUDIT_LOG_ACCESS is on, and, having no
 * change to join, group-committed on the search connections.
 */
export const AUDIT_ACCESS_ACTIONS: ReadonlySet<AuditAction> = new Set<AuditAction>([
  'searchAuditRecords',
  'readAuditRecord',
  'verifyAuditRecords',
  'tailAuditRecords',
]);

type ParameterKey<A extends AuditAction> = keyof AuditActionParameters[A] & string;

/** What the published event catalogue (docs/audit-events.md) says of one action. */
export interface AuditActionDescription<A extends AuditAction> {
  /** When a record of this action is written. */
  when: string;
  /**
   * Every parameter of the catalogue entry, described (the compiler checks the keys); null
   * for a key the shared parameter type allows but this action never writes.
   */
  parameters: { [K in ParameterKey<A>]-?: string | null };
  /** Whether its success records carry `changes`, and of what. */
  changes: string | false;
}

/**
 * The event catalogue as published: docs/audit-events.md is checked against this by
 * `audit-actions.spec.ts`, so the page cannot drift from the code.
 */
export const AUDIT_ACTION_CATALOGUE: { [A in AuditAction]: AuditActionDescription<A> } = {
  primaryAuthenticateUP: {
    when: 'A token request: client credentials, or the CIBA poll that redeems an approved request',
    parameters: {
      grantType: 'The grant type asked for',
      scope: 'The scope granted',
      deliveryMode: 'CIBA delivery mode (CIBA grant only)',
    },
    changes: 'CIBA grant only: `status` approved → redeemed',
  },
  createUser: {
    when: 'POST /Users, a user import item, or the service account of a registered client',
    parameters: {
      index: 'Failed import item: its 0-based index',
      entityType: null,
      entityId: null,
      DSN: null,
      userType: '`ServiceAccount` for a client’s service account',
    },
    changes: 'every attribute set (the password as `valueOmitted`)',
  },
  updateUser: {
    when: 'PUT or PATCH /Users/{id}',
    parameters: {
      method: '`PUT` or `PATCH`',
      previousUserName: 'The userName before, when it changed',
      passwordChanged: '`true` when a password was set',
    },
    changes: 'the attributes that moved; `[]` and `unchanged: true` when none did',
  },
  deleteUser: {
    when: 'DELETE /Users/{id}, or the service account of a deleted client',
    parameters: { userType: '`ServiceAccount` for a client’s service account' },
    changes: 'every attribute the user had',
  },
  createAdapterConfiguration: {
    when: 'POST /authn/register (RFC 7591), and bootstrap of an admin client',
    parameters: {
      clientId: 'The client id',
      grantTypes: 'Space-separated grant types',
      scope: 'Space-separated scopes',
    },
    changes: 'every client metadata member set (the registration token as `valueOmitted`)',
  },
  updateAdapterConfiguration: {
    when: 'PUT /authn/register/{client_id} (RFC 7592)',
    parameters: {
      clientId: 'The client id',
      grantTypes: 'Space-separated grant types after the update',
      scope: 'Space-separated scopes after the update',
      changed: 'Names of the members that changed, or `none`',
      rotated: '`registration_access_token` when it was rotated',
    },
    changes: 'the metadata members that moved',
  },
  deleteAdapterConfiguration: {
    when: 'DELETE /authn/register/{client_id} (RFC 7592)',
    parameters: { clientId: 'The client id' },
    changes: 'every metadata member the client had',
  },
  createUPAuthenticator: {
    when: 'A client’s secret is created (registration, bootstrap)',
    parameters: { clientId: 'The client id', authenticatorType: '`CLIENT_SECRET`' },
    changes: '`client_secret` added, `valueOmitted`',
  },
  updateUPAuthenticator: {
    when: 'A client’s secret is rotated (RFC 7592 PUT with rotate_secret)',
    parameters: {
      clientId: 'The client id',
      authenticatorType: '`CLIENT_SECRET`',
      rotated: '`client_secret`',
      reason: 'Why, when given',
    },
    changes: '`client_secret` replaced, `valueOmitted`',
  },
  deleteUPAuthenticator: {
    when: 'DELETE /authn/register/{client_id} (RFC 7592)',
    parameters: { clientId: 'The client id', authenticatorType: '`CLIENT_SECRET`' },
    changes: '`client_secret` removed, `valueOmitted`',
  },
  importUsers: {
    when: 'A user import is accepted (`start`) and when it ends (`end`)',
    parameters: {
      step: '`start` or `end`',
      importSize: 'Items in the request (start)',
      nbImported: 'Items created (end)',
      nbFailed: 'Items refused (end)',
    },
    changes: false,
  },
  importDevices: {
    when: 'A device import is accepted (`start`) and when it ends (`end`)',
    parameters: {
      step: '`start` or `end`',
      importSize: 'Items in the request (start)',
      nbImported: 'Items created (end)',
      nbFailed: 'Items refused (end)',
    },
    changes: false,
  },
  importOrganizations: {
    when: 'An organization import is accepted (`start`) and when it ends (`end`)',
    parameters: {
      step: '`start` or `end`',
      importSize: 'Items in the request (start)',
      nbImported: 'Items created (end)',
      nbFailed: 'Items refused (end)',
    },
    changes: false,
  },
  addDevice: {
    when: 'POST /Devices, or a device import item',
    parameters: {
      index: 'Failed item: its 0-based index',
      entityType: '`Device`',
      entityId: 'The device’s id',
      DSN: 'The device serial number',
    },
    changes: 'every attribute set',
  },
  updateDevice: {
    when: 'PUT or PATCH /Devices/{id}',
    parameters: {
      index: null,
      entityType: '`Device`',
      entityId: 'The device’s id',
      DSN: 'The device serial number',
      method: '`PUT` or `PATCH`',
    },
    changes: 'the attributes that moved, before and after',
  },
  deleteDevice: {
    when: 'DELETE /Devices/{id}',
    parameters: {
      index: null,
      entityType: '`Device`',
      entityId: 'The device’s id',
      DSN: 'The device serial number',
    },
    changes: 'every attribute the device had',
  },
  createOrganization: {
    when: 'POST /Organizations, or an organization import item',
    parameters: {
      index: 'Failed item: its 0-based index',
      entityType: '`Organization`',
      entityId: 'The organization’s id',
      DSN: null,
    },
    changes: 'every attribute set',
  },
  updateOrganization: {
    when: 'PUT or PATCH /Organizations/{id}',
    parameters: {
      index: null,
      entityType: '`Organization`',
      entityId: 'The organization’s id',
      DSN: null,
      method: '`PUT` or `PATCH`',
    },
    changes: 'the attributes that moved, before and after',
  },
  deleteOrganization: {
    when: 'DELETE /Organizations/{id}',
    parameters: {
      index: null,
      entityType: '`Organization`',
      entityId: 'The organization’s id',
      DSN: null,
    },
    changes: 'every attribute the organization had',
  },
  createCibaRequest: {
    when: 'POST /authn/bcauthorize accepted',
    parameters: {
      clientId: 'The requesting client',
      scope: 'Scopes asked for',
      deliveryMode: '`poll`, `ping` or `push`',
      hint: 'Which hint named the user',
      expiresIn: 'Lifetime in seconds',
      acrValues: 'acr_values, when sent',
      bindingMessage: 'binding_message, when sent',
      LHT: 'Digest of the login_hint_token, when one was sent',
    },
    changes: '`status` added: pending',
  },
  indirectDeliverChallenge: {
    when: 'The challenge of a CIBA request is delivered to the user’s device (background job)',
    parameters: {
      LHT: 'Digest of the login_hint_token',
      DSN: 'The device serial number',
      CHC: 'Challenge code',
      ATC: 'Authenticator type code',
      clientId: 'The requesting client',
      attempt: 'Delivery attempt',
    },
    changes: false,
  },
  approveChallenge: {
    when: 'The user approves a CIBA request',
    parameters: {
      CLI: 'The responding client',
      DSN: 'The device serial number',
      reason: 'Reason, when given',
    },
    changes: '`status` pending → approved',
  },
  denyChallenge: {
    when: 'The user denies a CIBA request',
    parameters: {
      CLI: 'The responding client',
      DSN: 'The device serial number',
      reason: 'Reason, when given',
    },
    changes: '`status` pending → denied',
  },
  expireCibaRequest: {
    when: 'A CIBA request expires unanswered or unredeemed (background job)',
    parameters: { previousStatus: 'Status before expiry', DSN: 'The device serial number' },
    changes: '`status` pending or approved → expired',
  },
  notifyCibaClient: {
    when: 'Each ping or push notification attempt (background job)',
    parameters: {
      attempt: 'Attempt number',
      deliveryMode: '`ping` or `push`',
      result: 'The request’s outcome notified',
      responseStatus: 'HTTP status the client answered',
      endpoint: 'The notification endpoint',
      retry: '`scheduled` or `exhausted` after a failure',
    },
    changes: false,
  },
  searchAuditRecords: {
    when: 'A search of the trail, when AUDIT_LOG_ACCESS=true',
    parameters: {
      endpoint: 'Which search route',
      filter: 'The filter',
      sortBy: 'sortBy',
      sortOrder: 'sortOrder',
      paging: '`cursor` or `index`',
      startIndex: 'startIndex',
      count: 'count',
      totalResults: 'Records matched',
      itemsPerPage: 'Records returned',
      recordId: null,
    },
    changes: false,
  },
  readAuditRecord: {
    when: 'GET /AuditRecords/{id}, when AUDIT_LOG_ACCESS=true',
    parameters: {
      endpoint: null,
      filter: null,
      sortBy: null,
      sortOrder: null,
      paging: null,
      startIndex: null,
      count: null,
      totalResults: null,
      itemsPerPage: null,
      recordId: 'The record read',
    },
    changes: false,
  },
  verifyAuditRecords: {
    when: 'GET /AuditRecords/.verify, when AUDIT_LOG_ACCESS=true',
    parameters: {
      from: 'Start of the checked range, as asked',
      to: 'End of the checked range, as asked',
      verified: '`true` when every checked record and seal verified',
      checkedRecords: 'Records checked',
      checkedSeals: 'Seals checked',
      failedRecordId: 'The first record that failed, if any',
      failedSealId: 'The first seal that failed, if any',
    },
    changes: false,
  },
  exportAuditRecords: {
    when: 'GET /AuditRecords/.export, when the export starts',
    parameters: {
      filter: 'The SCIM filter of the export, if any',
      format: '`ndjson` or `csv`',
      after: 'The record id it resumed after, if resumed',
      until: 'The database time the export stops at',
    },
    changes: false,
  },
  tailAuditRecords: {
    when: 'GET /AuditRecords/.tail opened, when AUDIT_LOG_ACCESS=true',
    parameters: {
      filter: 'The SCIM filter of the tail, if any',
      after: 'The Last-Event-ID it resumed after, if resumed',
    },
    changes: false,
  },
  createLogStream: {
    when: 'POST /LogStreams',
    parameters: {
      streamId: 'The stream’s id',
      endpoint: 'Its URL without query or credentials',
      filter: 'Its SCIM filter, if any',
      changed: 'The members a change set, space-separated',
      reason: 'Why it was paused or resumed: `requested` or `failures`',
      failures: 'Consecutive failed deliveries when paused automatically',
    },
    changes: false,
  },
  updateLogStream: {
    when: 'PUT or PATCH /LogStreams/{id}',
    parameters: {
      streamId: 'The stream’s id',
      endpoint: 'Its URL without query or credentials',
      filter: 'Its SCIM filter, if any',
      changed: 'The members a change set, space-separated',
      reason: 'Why it was paused or resumed: `requested` or `failures`',
      failures: 'Consecutive failed deliveries when paused automatically',
    },
    changes: false,
  },
  pauseLogStream: {
    when: 'A stream paused by PATCH, or automatically after sustained delivery failures',
    parameters: {
      streamId: 'The stream’s id',
      endpoint: 'Its URL without query or credentials',
      filter: 'Its SCIM filter, if any',
      changed: 'The members a change set, space-separated',
      reason: 'Why it was paused or resumed: `requested` or `failures`',
      failures: 'Consecutive failed deliveries when paused automatically',
    },
    changes: false,
  },
  resumeLogStream: {
    when: 'A paused stream resumed by PATCH',
    parameters: {
      streamId: 'The stream’s id',
      endpoint: 'Its URL without query or credentials',
      filter: 'Its SCIM filter, if any',
      changed: 'The members a change set, space-separated',
      reason: 'Why it was paused or resumed: `requested` or `failures`',
      failures: 'Consecutive failed deliveries when paused automatically',
    },
    changes: false,
  },
  deleteLogStream: {
    when: 'DELETE /LogStreams/{id}',
    parameters: {
      streamId: 'The stream’s id',
      endpoint: 'Its URL without query or credentials',
      filter: 'Its SCIM filter, if any',
      changed: 'The members a change set, space-separated',
      reason: 'Why it was paused or resumed: `requested` or `failures`',
      failures: 'Consecutive failed deliveries when paused automatically',
    },
    changes: false,
  },
  purgeAuditRecords: {
    when: 'Retention dropped a month of the trail holding records of the tenant (docs/retention.md)',
    parameters: {
      partition: 'The dropped partition',
      from: 'Start of its range (`-infinity` for the converted trail), ISO 8601',
      to: 'End of its range (exclusive), ISO 8601',
      records: 'The tenant’s records it held',
      seals: 'The tenant’s seals whose records it held, as seq ranges (`1-40,43-43`)',
      lastSealSeq: 'The last of those seals: `.verify` checks the chain through it',
      lastSealId: 'That seal’s id',
    },
    changes: false,
  },
};
