/**
 * The floor: the same inserts the service makes for POST /Users (a user row and its audit
 * row, one transaction, same schema, triggers and indexes) with node:http and pg and nothing
 * else. What this machine can do; the service is measured against it.
 */
import { Pool } from 'pg';
import { serveFloor } from './lib/floor-http';
import { v7 as uuidv7 } from 'uuid';

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
});

serveFloor(pool, (req, raw, res) => {
  void (async () => {
    const tenant = (req.url ?? '').split('/')[1];
    const body = JSON.parse(raw.toString('utf8')) as { userName: string };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const id = uuidv7();
      const { rows } = await client.query<{ created: Date }>(
        `INSERT INTO users (id, tenant_id, user_name, active, resource) VALUES ($1, $2, $3, true, $4) RETURNING created`,
        [
          id,
          tenant,
          body.userName,
          JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }),
        ],
      );
      await client.query(
        `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, service_id, action_name,
           action_parameters, result, acting_user_id, target_user_id, target_user_immutable_id,
           changes, client, created, hash)
         VALUES ($1, $2, $3, $4, 'FLOOR', 'createUser', $5, 'RESPONSE_SUCCESS', 'floor', $6, $7,
           $8, $9, now(), '')`,
        [
          uuidv7(),
          tenant,
          req.headers['x-correlation-id'] ?? null,
          uuidv7(),
          '{"Action":"createUser"}',
          body.userName,
          id,
          // The record's changes and client, as the service stores them.
          JSON.stringify([
            { attribute: 'userName', op: 'add', after: body.userName },
            { attribute: 'active', op: 'add', after: true },
          ]),
          JSON.stringify({
            ipAddress: req.socket.remoteAddress,
            userAgent: req.headers['user-agent'],
          }),
        ],
      );
      await client.query('COMMIT');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, userName: body.userName, created: rows[0].created }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      res.writeHead(500).end(String((error as Error).message));
    } finally {
      client.release();
    }
  })();
});
