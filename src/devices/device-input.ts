import { scimError } from '../common/api-error';
import { asObject, member, optionalString, requiredString } from '../scim/scim-members';
import { DEVICE_STATUSES, DeviceStatus } from './device-row';

export type InputLimits = { userNameLength: number; stringLength: number };

/** The owner a device names: a user id, or a userName. */
export type OwnerRef = { value: string } | { userName: string };

/** A device as a client sends it (POST, PUT, a patched view, an import item). */
export interface DeviceInput {
  serialNumber: string;
  type: string;
  status: DeviceStatus;
  externalId?: string;
  owner?: OwnerRef;
}

/** Reads one device (API.md §7); the status defaults to ACTIVE, as at creation. */
export function readDeviceInput(value: unknown, limits: InputLimits): DeviceInput {
  const object = asObject(value, 'device');
  const device: DeviceInput = {
    serialNumber: requiredString(object, 'serialNumber', limits.stringLength),
    type: requiredString(object, 'type', limits.stringLength),
    status: readStatus(member(object, 'status')),
  };
  const externalId = optionalString(object, 'externalId', limits.stringLength);
  if (externalId !== undefined) device.externalId = externalId;
  const owner = member(object, 'owner');
  if (owner !== undefined && owner !== null) device.owner = readOwner(owner, limits);
  return device;
}

function readStatus(value: unknown): DeviceStatus {
  if (value === undefined || value === null) return 'ACTIVE';
  const status = typeof value === 'string' ? value.toUpperCase() : undefined;
  const known = DEVICE_STATUSES.find((s) => s === status);
  if (!known)
    throw scimError(400, 'invalidValue', `status must be one of ${DEVICE_STATUSES.join(', ')}`);
  return known;
}

function readOwner(value: unknown, limits: InputLimits): OwnerRef {
  const owner = asObject(value, 'device owner');
  const id = optionalString(owner, 'value', limits.stringLength);
  if (id !== undefined) return { value: id };
  const userName = optionalString(owner, 'userName', limits.userNameLength);
  if (userName !== undefined) return { userName };
  throw scimError(400, 'invalidValue', 'owner must have a "value" (user id) or a "userName"');
}

/** How an owner reference is named in an error detail. */
export function describeOwner(owner: OwnerRef): string {
  return ('value' in owner ? `id ${owner.value}` : `userName ${owner.userName}`).slice(0, 80);
}
