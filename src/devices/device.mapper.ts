import { DeviceRow } from './device-row';

export const DEVICE_SCHEMA = 'urn:hid:scim:api:idp:2.0:Device';

export function deviceVersion(row: DeviceRow): string {
  return `W/"${row.version}"`;
}

/** The SCIM representation of a device; the owner is referenced like a SCIM group member. */
export function toDeviceResource(row: DeviceRow, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [DEVICE_SCHEMA],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    serialNumber: row.serial_number,
    type: row.type,
    status: row.status,
    ...(row.owner_id !== null
      ? {
          owner: {
            value: row.owner_id,
            ...(row.owner_user_name !== null ? { userName: row.owner_user_name } : {}),
            $ref: `${baseUrl}/${row.tenant_id}/v2/Users/${row.owner_id}`,
          },
        }
      : {}),
    meta: {
      resourceType: 'Device',
      created: row.created.toISOString(),
      lastModified: row.last_modified.toISOString(),
      location: `${baseUrl}/${row.tenant_id}/v2/Devices/${row.id}`,
      version: deviceVersion(row),
    },
  };
}
