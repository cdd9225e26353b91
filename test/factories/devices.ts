import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { TestApp } from '../utils/test-app';
import { createUser } from './user';

export interface TestUser {
  id: string;
  userName: string;
}

export interface TestDevice {
  id: string;
  serialNumber: string;
}

/**
 * A device row written directly: the devices API is another module's, and CIBA only needs
 * the row (serial number = DSN, status, owner).
 */
export async function createDevice(
  t: TestApp,
  ownerId: string | null,
  overrides: { serialNumber?: string; type?: string; status?: string; tenant?: string } = {},
): Promise<TestDevice> {
  const device = {
    id: uuidv7(),
    serialNumber: overrides.serialNumber ?? `DSN-${randomBytes(6).toString('hex').toUpperCase()}`,
  };
  await t.db.query(
    `INSERT INTO devices (id, tenant_id, serial_number, type, status, owner_id)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      device.id,
      overrides.tenant ?? t.tenant,
      device.serialNumber,
      overrides.type ?? 'DT_TDSV4',
      overrides.status ?? 'ACTIVE',
      ownerId,
    ],
  );
  return device;
}

/** A user with one active device: what a CIBA request needs. */
export async function createUserWithDevice(
  t: TestApp,
  userName?: string,
): Promise<TestUser & { device: TestDevice }> {
  const user = await createUser(t, userName === undefined ? {} : { userName });
  return { ...user, device: await createDevice(t, user.id) };
}
