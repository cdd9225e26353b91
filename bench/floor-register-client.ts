/**
 * The floor for client registration: what POST /{tenant}/authn/register writes (service
 * account, client row and three audit records in one transaction, two server-made secrets
 * kept as SHA-256 digests) with node:http and pg and nothing else.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { serveFloor } from './lib/floor-http';
import { v7 as uuidv7 } from 'uuid';

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
});

const AUDIT = `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, service_id,
    action_name, action_parameters, result, acting_user_id, target_user_id,
    target_user_immutable_id, created, hash)
  VALUES ($1, $2, $3, $4, 'FLOOR', $5, $6, 'RESPONSE_SUCCESS', 'floor', $7, $8, now(), '')`;

const digest = (secret: string) => `sha256:${createHash('sha256').update(secret).digest('hex')}`;

serveFloor(pool, (req, raw, res) => {
  void (async () => {
    const tenant = (req.url ?? '').split('/')[1];
    const body = JSON.parse(raw.toString('utf8')) as { client_name: string };
    const correlationId = req.headers['x-correlation-id'] ?? null;
    const requestId = uuidv7();
    const clientId = uuidv7();
    const userId = uuidv7();
    const secret = randomBytes(32).toString('base64url');
    const registrationToken = randomBytes(32).toString('base64url');
    const client = await pool.connect();
    const audit = (action: string) =>
      client.query(AUDIT, [
        uuidv7(),
        tenant,
        correlationId,
        requestId,
        action,
        JSON.stringify({ Action: action, clientId }),
        clientId,
        userId,
      ]);
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO users (id, tenant_id, user_name, active, service_account, resource)
         VALUES ($1, $2, $3, true, true, $4)`,
        [userId, tenant, clientId, JSON.stringify({ displayName: body.client_name })],
      );
      await audit('createUser');
      const { rows } = await client.query<{ created: Date }>(
        `INSERT INTO clients (id, tenant_id, client_id, client_name, secret_digest,
           registration_token_digest, grant_types, scopes, metadata, service_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, '{client_credentials}', '{}', '{}', $7) RETURNING created`,
        [
          uuidv7(),
          tenant,
          clientId,
          body.client_name,
          digest(secret),
          digest(registrationToken),
          userId,
        ],
      );
      await audit('createAdapterConfiguration');
      await audit('createUPAuthenticator');
      await client.query('COMMIT');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          client_id: clientId,
          client_secret: secret,
          client_id_issued_at: Math.floor(rows[0].created.getTime() / 1000),
          registration_access_token: registrationToken,
        }),
      );
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      res.writeHead(500).end(String((error as Error).message));
    } finally {
      client.release();
    }
  })();
});
