import { Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { compileListQuery, ListQuery } from '../scim/scim-list-query';
import { DeviceRow } from './device-row';
import { DEVICE_FILTER_SCHEMA } from './devices.filter-schema';
import { DevicesRepository } from './devices.repository';

/** Reads of devices; they are created by bulk import (and used by CIBA). */
@Injectable()
export class DevicesService {
  constructor(private readonly devices: DevicesRepository) {}

  async get(tenant: string, id: string): Promise<DeviceRow> {
    const row = await this.devices.findById(tenant, id);
    if (!row) throw scimError(404, undefined, `Device ${id.slice(0, 64)} not found`);
    return row;
  }

  async list(tenant: string, query: ListQuery): Promise<{ total: number; rows: DeviceRow[] }> {
    return this.devices.list(
      tenant,
      compileListQuery(query, DEVICE_FILTER_SCHEMA, { created: 'd.created', id: 'd.id' }),
    );
  }
}
