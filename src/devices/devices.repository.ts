import { Injectable } from '@nestjs/common';
import { SearchTable } from '../search/search.queries';
import { isUuid } from '../common/uuid';
import { DeviceRow, NewDevice } from './device-row';
import { Database } from '../database/database';

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
