import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { TestApp, userBody } from '../utils/test-app';

export interface TestUser {
  id: string;
  userName: string;
}

export interface TestDevice {
  id: string;
  serialNumber: string;
}

/** A user made through the SCIM API, as a caller would. */
export async function createUser(
  t: TestApp,
  userName = `user-${randomBytes(5).toString('hex')}`,
  extra: Record<string, unknown> = {},
): Promise<TestUser> {
  const res = await t.request({
    method: 'POST',
    url: `/${t.tenant}/v2/Users`,
    token: await t.adminToken(),
    payload: userBody(userName, extra),
  });
  if (res.statusCode !== 201) throw new Error(`user creation failed: ${res.body}`);
  return { id: res.json().id, userName };
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
  const user = await createUser(t, userName);
  return { ...user, device: await createDevice(t, user.id) };
}
