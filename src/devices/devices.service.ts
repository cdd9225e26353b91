import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AuditActionParameters } from '../audit/audit-actions';
import { auditTarget } from '../audit/audit-target';
import { AuditService } from '../audit/audit.service';
import { scimError } from '../common/api-error';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { checkIfMatch } from '../scim/scim-etag';
import { member } from '../scim/scim-members';
import { computeChanges } from '../scim/scim-changes';
import { applyPatch } from '../scim/scim-patch';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage, SearchService, SearchSpec } from '../search/search.service';
import { UsersRepository } from '../users/users.repository';
import { describeOwner, DeviceInput, OwnerRef, readDeviceInput } from './device-input';
import { DeviceRow, NewDevice } from './device-row';
import { deviceVersion } from './device.mapper';
import { DEVICE_FILTER_SCHEMA } from './devices.filter-schema';
import { DEVICES_TABLE, DevicesRepository, DeviceSearchRow } from './devices.repository';

const DEVICES: SearchSpec = {
  resource: 'Devices',
  schema: DEVICE_FILTER_SCHEMA,
  defaultSort: { sql: 'd.created', type: 'dateTime' },
  id: 'd.id',
  notNull: new Set(['d.created', 'd.last_modified']),
  table: DEVICES_TABLE,
};

/** Attribute names of a Device in schema spelling, for PATCH paths given in any case. */
const CANONICAL = new Map(
  ['serialNumber', 'type', 'status', 'externalId', 'owner', 'value', 'userName'].map((n) => [
    n.toLowerCase(),
    n,
  ]),
);

type DeviceAction = 'addDevice' | 'updateDevice' | 'deleteDevice';

/** Devices: read by SCIM and CIBA, written by SCIM and bulk import, each change recorded. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly search: SearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(tenant: string, id: string): Promise<DeviceRow> {
    const row = await this.devices.findById(tenant, id);
    if (!row) throw notFound(id);
    return row;
  }

  /** A filtered, sorted page, by index or by cursor (the engine behind every SCIM list). */
  list(tenant: string, request: SearchRequest): Promise<SearchPage<DeviceSearchRow>> {
    return this.search.list<DeviceSearchRow>(tenant, DEVICES, request);
  }

  @Transactional()
  async create(tenant: string, body: unknown): Promise<DeviceRow> {
    const input = readDeviceInput(body, this.config.limits);
    const row = await this.devices.insert(tenant, await this.toRow(tenant, uuidv7(), input));
    await this.recordChange('addDevice', undefined, row, {});
    return row;
  }

  @Transactional()
  async replace(tenant: string, id: string, body: unknown, ifMatch?: string): Promise<DeviceRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    return this.save(tenant, existing, readDeviceInput(body, this.config.limits), 'PUT');
  }

  @Transactional()
  async patch(tenant: string, id: string, body: unknown, ifMatch?: string): Promise<DeviceRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    const patched = applyPatch(writableView(existing), body, {
      canonicalName: (n) => CANONICAL.get(n.toLowerCase()) ?? n,
      readOnly: new Set(['id', 'meta', 'schemas']),
    });
    // A device always has a status; unassigning it must not quietly make a device ACTIVE.
    if (member(patched, 'status') === undefined) {
      throw scimError(
        400,
        'mutability',
        'status cannot be removed; set it to SUSPENDED or REVOKED',
      );
    }
    return this.save(tenant, existing, readDeviceInput(patched, this.config.limits), 'PATCH');
  }

  @Transactional()
  async delete(tenant: string, id: string, ifMatch?: string): Promise<void> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    await this.devices.delete(tenant, existing.id);
    await this.recordChange('deleteDevice', existing, undefined, {});
  }

  private async save(
    tenant: string,
    existing: DeviceRow,
    input: DeviceInput,
    method: 'PUT' | 'PATCH',
  ): Promise<DeviceRow> {
    const row = await this.devices.update(tenant, await this.toRow(tenant, existing.id, input));
    await this.recordChange('updateDevice', existing, row, { method });
    return row;
  }

  /**
   * The one place a device change is recorded, with the stored state before and after it
   * (`undefined` when the device did not exist on that side) at hand.
   */
  private async recordChange<A extends DeviceAction>(
    action: A,
    before: DeviceRow | undefined,
    after: DeviceRow | undefined,
    extra: Omit<AuditActionParameters[A], 'entityType' | 'entityId' | 'DSN'>,
  ): Promise<void> {
    const row = (after ?? before) as DeviceRow;
    const owner = after?.owner_id ? after : before?.owner_id ? before : undefined;
    await this.audit.record(action, {
      parameters: {
        entityType: 'Device',
        entityId: row.id,
        DSN: row.serial_number,
        ...extra,
      } as AuditActionParameters[A],
      // From the stored rows before and after, never from the request body.
      changes: computeChanges(
        before ? writableView(before) : null,
        after ? writableView(after) : null,
      ),
      ...(owner?.owner_id && owner.owner_user_name !== null
        ? { target: auditTarget(owner.owner_user_name, owner.owner_id) }
        : {}),
    });
  }

  private async lockForChange(tenant: string, id: string, ifMatch?: string): Promise<DeviceRow> {
    const row = await this.devices.findForUpdate(tenant, id);
    if (!row) throw notFound(id);
    checkIfMatch(ifMatch, deviceVersion(row));
    return row;
  }

  /** The row to store: the owner, named by id or userName, must be a user of the tenant. */
  private async toRow(tenant: string, id: string, input: DeviceInput): Promise<NewDevice> {
    return {
      id,
      serialNumber: input.serialNumber,
      type: input.type,
      status: input.status,
      ownerId: input.owner ? await this.ownerId(tenant, input.owner) : null,
      externalId: input.externalId ?? null,
    };
  }

  private async ownerId(tenant: string, owner: OwnerRef): Promise<string> {
    const [found] =
      'value' in owner
        ? await this.users.findRefs(tenant, isUuid(owner.value) ? [owner.value] : [], [])
        : await this.users.findRefs(tenant, [], [owner.userName]);
    if (!found) {
      throw scimError(
        400,
        'invalidValue',
        `owner (${describeOwner(owner)}) is not a user of this tenant`,
      );
    }
    return found.id;
  }
}

/** What a client may change of a device, in its SCIM spelling: the base of a PATCH. */
function writableView(row: DeviceRow): Record<string, unknown> {
  return {
    serialNumber: row.serial_number,
    type: row.type,
    status: row.status,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    ...(row.owner_id !== null ? { owner: { value: row.owner_id } } : {}),
  };
}

function notFound(id: string) {
  return scimError(404, undefined, `Device ${id.slice(0, 64)} not found`);
}
