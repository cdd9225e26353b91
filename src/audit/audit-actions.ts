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
  createOrganization: ImportedItem;
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
  createLogStream: LogStreamChange;
  updateLogStream: LogStreamChange;
  pauseLogStream: LogStreamChange;
  resumeLogStream: LogStreamChange;
  deleteLogStream: LogStreamChange;
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
  'createOrganization',
  'createCibaRequest',
  'indirectDeliverChallenge',
  'approveChallenge',
  'denyChallenge',
  'expireCibaRequest',
  'notifyCibaClient',
  'searchAuditRecords',
  'readAuditRecord',
  'createLogStream',
  'updateLogStream',
  'pauseLogStream',
  'resumeLogStream',
  'deleteLogStream',
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
  'streamId',
  'failures',
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
]);
