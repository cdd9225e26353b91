import { auditTarget } from '../audit/audit-target';
import { computeChanges } from '../scim/scim-changes';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { describeOwner, OwnerRef, readDeviceInput } from '../devices/device-input';
import { NewDevice } from '../devices/device-row';
import { DevicesRepository } from '../devices/devices.repository';
import { isUuid } from '../common/uuid';
import { UsersRepository } from '../users/users.repository';
import {
  BatchOutcomes,
  ImportItem,
  ImportProcessor,
  insertIsolating,
  invalidValue,
  ItemNames,
  ItemOutcome,
  keyOf,
  readItems,
  uniqueness,
  UNSTORABLE_ITEM,
} from './import-item';

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
    const read = readItems(items, (v) => readDeviceInput(v, this.config.limits));
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
        batch.fail(
          item.index,
          invalidValue(`owner (${describeOwner(device.owner)}) is not a user of this tenant`),
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
    refs: OwnerRef[],
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

function ownerKey(owner: OwnerRef): string {
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
