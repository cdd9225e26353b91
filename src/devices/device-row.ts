export const DEVICE_STATUSES = ['ACTIVE', 'SUSPENDED', 'REVOKED'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** A row of `devices` as pg returns it, with its owner's userName joined in. */
export interface DeviceRow {
  id: string;
  tenant_id: string;
  serial_number: string;
  type: string;
  status: DeviceStatus;
  owner_id: string | null;
  owner_user_name: string | null;
  external_id: string | null;
  version: number;
  created: Date;
  last_modified: Date;
}

export interface NewDevice {
  id: string;
  serialNumber: string;
  type: string;
  status: DeviceStatus;
  ownerId: string | null;
  externalId: string | null;
}
