import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backchannel authentication requests (CIBA). The primary key is the `auth_req_id`, which is
 * also the COI of the flow. `origin` keeps the context of the request that started the flow
 * (request id, correlation id, acting client) so work done later for it (client
 * notifications) carries the same ids. `notification_token` is the client's own bearer
 * credential for its notification endpoint: it must be presented in clear, so it is kept
 * only until the notification has been delivered.
 */
export class CreateCibaRequests1763800000040 implements MigrationInterface {
  name = 'CreateCibaRequests1763800000040';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ciba_requests (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        client_id text NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device_id uuid REFERENCES devices(id) ON DELETE SET NULL,
        scope text NOT NULL,
        acr_values text,
        binding_message text,
        hint_kind text NOT NULL
          CHECK (hint_kind IN ('login_hint', 'login_hint_token', 'id_token_hint')),
        challenge jsonb NOT NULL DEFAULT '{}'::jsonb,
        delivery_mode text NOT NULL CHECK (delivery_mode IN ('poll', 'ping', 'push')),
        notification_endpoint text,
        notification_token text,
        status text NOT NULL
          CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'redeemed')),
        poll_interval integer NOT NULL,
        last_polled_at timestamptz(3),
        expires_at timestamptz(3) NOT NULL,
        delivered_at timestamptz(3),
        answered_at timestamptz(3),
        answered_by text,
        reason text,
        origin jsonb NOT NULL,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX ciba_requests_tenant_user ON ciba_requests (tenant_id, user_id)`);
    await q.query(
      `CREATE INDEX ciba_requests_open_expiry ON ciba_requests (expires_at) WHERE status IN ('pending', 'approved')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE ciba_requests');
  }
}
