import { Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage, SearchService, SearchSpec } from '../search/search.service';
import { DeviceRow } from './device-row';
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

/** Reads of devices; they are created by bulk import (and used by CIBA). */
@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly search: SearchService,
  ) {}

  async get(tenant: string, id: string): Promise<DeviceRow> {
    const row = await this.devices.findById(tenant, id);
    if (!row) throw scimError(404, undefined, `Device ${id.slice(0, 64)} not found`);
    return row;
  }

  /** A filtered, sorted page, by index or by cursor (the engine behind every SCIM list). */
  list(tenant: string, request: SearchRequest): Promise<SearchPage<DeviceSearchRow>> {
    return this.search.list<DeviceSearchRow>(tenant, DEVICES, request);
  }
}
