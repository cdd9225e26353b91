import { Injectable } from '@nestjs/common';
import { SearchTable } from '../search/search.queries';
import { isUuid } from '../common/uuid';
import { DeviceRow, NewDevice } from './device-row';
import { Database } from '../database/database';
import { scimError } from '../common/api-error';
import { DatabaseError } from '../database/database-error';

const COLUMNS = `d.id, d.tenant_id, d.serial_number, d.type, d.status, d.owner_id,
  o.user_name AS owner_user_name, d.external_id, d.version, d.created, d.last_modified`;
const FROM = 'devices d LEFT JOIN users o ON o.tenant_id = d.tenant_id AND o.id = d.owner_id';
export const DEVICES_TABLE: SearchTable = {
  from: FROM,
  tenantColumn: 'd.tenant_id',
  columns: COLUMNS,
};

/** Devices table access, always through the CLS transaction's EntityManager. */
@Injectable()
export class DevicesRepository {
  constructor(private readonly db: Database) {}

  async findById(tenant: string, id: string): Promise<DeviceRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<DeviceRow>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE d.tenant_id = $1 AND d.id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  /** Locks the row for the rest of the transaction (read-modify-write of PUT and PATCH). */
  async findForUpdate(tenant: string, id: string): Promise<DeviceRow | undefined> {
    if (!isUuid(id)) return undefined;
    const locked = await this.db.query<{ id: string }>(
      'SELECT id FROM devices WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
      [tenant, id],
    );
    return locked.length === 0 ? undefined : this.findById(tenant, id);
  }

  /** Inserts one device; a serial number taken in the tenant is 409 `uniqueness`. */
  async insert(tenant: string, device: NewDevice): Promise<DeviceRow> {
    try {
      await this.db.query(
        `INSERT INTO devices (id, tenant_id, serial_number, type, status, owner_id, external_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          device.id,
          tenant,
          device.serialNumber,
          device.type,
          device.status,
          device.ownerId,
          device.externalId,
        ],
      );
    } catch (error) {
      throw uniqueness(error, device.serialNumber);
    }
    return this.read(tenant, device.id);
  }

  /** Replaces every writable column of a device and moves its version on. */
  async update(tenant: string, device: NewDevice): Promise<DeviceRow> {
    try {
      await this.db.query(
        `UPDATE devices SET serial_number = $3, type = $4, status = $5, owner_id = $6,
           external_id = $7, version = version + 1,
           last_modified = date_trunc('milliseconds', now())
         WHERE tenant_id = $1 AND id = $2`,
        [
          tenant,
          device.id,
          device.serialNumber,
          device.type,
          device.status,
          device.ownerId,
          device.externalId,
        ],
      );
    } catch (error) {
      throw uniqueness(error, device.serialNumber);
    }
    return this.read(tenant, device.id);
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.db.query('DELETE FROM devices WHERE tenant_id = $1 AND id = $2', [tenant, id]);
  }

  private async read(tenant: string, id: string): Promise<DeviceRow> {
    const row = await this.findById(tenant, id);
    if (!row) throw new Error(`Device ${id} vanished inside its own transaction`);
    return row;
  }

  /**
   * Inserts many devices in one statement (bulk import); a serial number already registered
   * in the tenant is skipped. Returns the ids that were inserted.
   */
  async insertMany(tenant: string, devices: NewDevice[]): Promise<Set<string>> {
    if (devices.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO devices (id, tenant_id, serial_number, type, status, owner_id, external_id)
       SELECT x.id, $1, x.serial_number, x.type, x.status, x.owner_id, x.external_id
       FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, serial_number text, type text,
         status text, owner_id uuid, external_id text)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        tenant,
        JSON.stringify(
          devices.map((d) => ({
            id: d.id,
            serial_number: d.serialNumber,
            type: d.type,
            status: d.status,
            owner_id: d.ownerId,
            external_id: d.externalId,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }
}

export type DeviceSearchRow = DeviceRow & { sort_key: string | null };

function uniqueness(error: unknown, serialNumber: string): unknown {
  if (error instanceof DatabaseError && error.isUniqueViolation('devices_tenant_serial')) {
    return scimError(
      409,
      'uniqueness',
      `serialNumber "${serialNumber.slice(0, 64)}" is already registered in this tenant`,
    );
  }
  return error;
}
