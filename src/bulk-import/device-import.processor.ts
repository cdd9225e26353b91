import { auditTarget } from '../audit/audit-target';
import { computeChanges } from '../scim/scim-changes';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { DEVICE_STATUSES, DeviceStatus, NewDevice } from '../devices/device-row';
import { DevicesRepository } from '../devices/devices.repository';
import { isUuid } from '../common/uuid';
import { UsersRepository } from '../users/users.repository';
import {
  asObject,
  BatchOutcomes,
  ImportItem,
  ImportProcessor,
  insertIsolating,
  invalidValue,
  ItemNames,
  ItemOutcome,
  keyOf,
  Limits,
  member,
  optionalString,
  readItems,
  requiredString,
  uniqueness,
  UNSTORABLE_ITEM,
} from './import-item';

/** An imported device before its owner is resolved. */
export interface ImportedDevice {
  serialNumber: string;
  type: string;
  status: DeviceStatus;
  externalId?: string;
  owner?: { value: string } | { userName: string };
}

/** Reads one device of a device import (API.md §7); the status defaults to ACTIVE. */
export function readImportedDevice(value: unknown, limits: Limits): ImportedDevice {
  const object = asObject(value, 'device');
  const device: ImportedDevice = {
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

function readOwner(value: unknown, limits: Limits): { value: string } | { userName: string } {
  const owner = asObject(value, 'device owner');
  const id = optionalString(owner, 'value', limits.stringLength);
  if (id !== undefined) return { value: id };
  const userName = optionalString(owner, 'userName', limits.userNameLength);
  if (userName !== undefined) return { userName };
  throw scimError(400, 'invalidValue', 'owner must have a "value" (user id) or a "userName"');
}

/** Creates imported devices: owners resolved in one query, one multi-row insert per batch. */
@Injectable()
export class DeviceImportProcessor implements ImportProcessor {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly users: UsersRepository,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async process(tenant: string, items: ImportItem[]): Promise<ItemOutcome[]> {
    const read = readItems(items, (v) => readImportedDevice(v, this.config.limits));
    const owners = await this.resolveOwners(
      tenant,
      read.flatMap((r) => (r.value?.owner ? [r.value.owner] : [])),
    );
    type Row = { device: NewDevice; owner?: { id: string; user_name: string } };
    const batch = new BatchOutcomes<Row>();
    const seen = new Set<string>();
    for (const { item, value: device, error } of read) {
      if (error) {
        batch.fail(item.index, error, named(keyOf(item.value, 'serialNumber')));
        continue;
      }
      const names = named(device.serialNumber);
      const owner = device.owner ? owners.get(ownerKey(device.owner)) : undefined;
      if (device.owner && !owner) {
        const ref =
          'value' in device.owner
            ? `id ${device.owner.value}`
            : `userName ${device.owner.userName}`;
        batch.fail(
          item.index,
          invalidValue(`owner (${ref.slice(0, 80)}) is not a user of this tenant`),
          names,
        );
        continue;
      }
      if (seen.has(device.serialNumber)) {
        batch.fail(item.index, taken(device.serialNumber), names);
        continue;
      }
      seen.add(device.serialNumber);
      batch.accept(item.index, {
        owner,
        device: {
          id: uuidv7(),
          serialNumber: device.serialNumber,
          type: device.type,
          status: device.status,
          ownerId: owner?.id ?? null,
          externalId: device.externalId ?? null,
        },
      });
    }
    const { inserted, refused } = await insertIsolating(
      this.db,
      batch.rows,
      (r) => r.device.id,
      (rows) =>
        this.devices.insertMany(
          tenant,
          rows.map((r) => r.device),
        ),
    );
    return batch.settle(({ device, owner }) =>
      inserted.has(device.id)
        ? {
            details: {
              parameters: { entityType: 'Device', entityId: device.id, DSN: device.serialNumber },
              ...(owner ? { target: auditTarget(owner.user_name, owner.id) } : {}),
              changes: computeChanges(null, deviceChangeView(device, owner)),
            },
          }
        : {
            error: refused.has(device.id) ? UNSTORABLE_ITEM : taken(device.serialNumber),
            names: named(device.serialNumber),
          },
    );
  }

  /** Owners by reference key (`id:<uuid>` or `name:<lower-case userName>`). */
  private async resolveOwners(
    tenant: string,
    refs: ({ value: string } | { userName: string })[],
  ): Promise<Map<string, { id: string; user_name: string }>> {
    const ids = refs.flatMap((r) => ('value' in r && isUuid(r.value) ? [r.value] : []));
    const names = refs.flatMap((r) => ('userName' in r ? [r.userName] : []));
    const found = new Map<string, { id: string; user_name: string }>();
    for (const user of await this.users.findRefs(tenant, ids, names)) {
      found.set(`id:${user.id}`, user);
      found.set(`name:${user.user_name.toLowerCase()}`, user);
    }
    return found;
  }
}

function ownerKey(owner: { value: string } | { userName: string }): string {
  return 'value' in owner
    ? `id:${owner.value.toLowerCase()}`
    : `name:${owner.userName.toLowerCase()}`;
}

function named(serialNumber: string | undefined): ItemNames {
  return serialNumber !== undefined ? { key: { name: 'serialNumber', value: serialNumber } } : {};
}

function taken(serialNumber: string) {
  return uniqueness(
    `serialNumber "${serialNumber.slice(0, 64)}" is already registered in this tenant`,
  );
}

/** An inserted device in its SCIM attribute names, as its record's `changes` list it. */
function deviceChangeView(
  device: NewDevice,
  owner?: { id: string; user_name: string },
): Record<string, unknown> {
  return {
    serialNumber: device.serialNumber,
    type: device.type,
    status: device.status,
    ...(device.externalId !== null ? { externalId: device.externalId } : {}),
    ...(owner ? { owner: { value: owner.id, userName: owner.user_name } } : {}),
  };
}
