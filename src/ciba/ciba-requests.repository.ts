import { Injectable } from '@nestjs/common';
import { CibaRequestRow, CibaStatus, NewCibaRequest } from './ciba-request-row';
import { Database } from '../database/database';

const SELECT = `
  SELECT r.*, u.user_name, d.serial_number AS device_serial, d.status AS device_status,
         r.expires_at <= now() AS is_expired,
         extract(epoch FROM now() - r.last_polled_at)::float8 AS since_last_poll
  FROM ciba_requests r
  JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id
  LEFT JOIN devices d ON d.tenant_id = r.tenant_id AND d.id = r.device_id`;

/**
 * `ciba_requests` through the CLS transaction. State changes are conditional on the state
 * they leave, so two answers, two polls or a poll and the expiry job can never both win.
 */
@Injectable()
export class CibaRequestsRepository {
  constructor(private readonly db: Database) {}

  /**
   * The user's active device the challenge goes to: the one the hint named (by id or serial
   * number), else the most recently created.
   */
  async activeDeviceOf(
    tenant: string,
    userId: string,
    named?: string,
  ): Promise<{ id: string; serial_number: string; type: string } | undefined> {
    const rows = await this.db.query<{ id: string; serial_number: string; type: string }>(
      `SELECT id, serial_number, type FROM devices
         WHERE tenant_id = $1 AND owner_id = $2 AND status = 'ACTIVE'
           AND ($3::text IS NULL OR serial_number = $3 OR id::text = lower($3))
         ORDER BY created DESC, id DESC LIMIT 1`,
      [tenant, userId, named ?? null],
    );
    return rows[0];
  }

  async insert(tenant: string, r: NewCibaRequest): Promise<void> {
    await this.db.query(
      `INSERT INTO ciba_requests (id, tenant_id, client_id, user_id, device_id, scope, acr_values,
         binding_message, hint_kind, challenge, delivery_mode, notification_endpoint,
         notification_token, status, poll_interval, expires_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'pending',$14,
         date_trunc('milliseconds', now()) + make_interval(secs => $15))`,
      [
        r.id,
        tenant,
        r.clientId,
        r.userId,
        r.deviceId,
        r.scope,
        r.acrValues ?? null,
        r.bindingMessage ?? null,
        r.hintKind,
        JSON.stringify(r.challenge),
        r.deliveryMode,
        r.notificationEndpoint ?? null,
        r.notificationToken ?? null,
        r.pollInterval,
        r.expiresIn,
      ],
    );
  }

  async find(tenant: string, id: string): Promise<CibaRequestRow | undefined> {
    const rows = await this.db.query<CibaRequestRow>(
      `${SELECT} WHERE r.tenant_id = $1 AND r.id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  /** Locks the request for the rest of the transaction (polls, answers, expiry, push). */
  async findForUpdate(tenant: string, id: string): Promise<CibaRequestRow | undefined> {
    const rows = await this.db.query<CibaRequestRow>(
      `${SELECT} WHERE r.tenant_id = $1 AND r.id = $2 FOR UPDATE OF r`,
      [tenant, id],
    );
    return rows[0];
  }

  /** Moves the request from one state to another; false when it was no longer in `from`. */
  async transition(
    tenant: string,
    id: string,
    from: CibaStatus[],
    to: CibaStatus,
    answer?: { by: string; reason?: string },
  ): Promise<boolean> {
    const rows = await this.db.query<unknown>(
      `UPDATE ciba_requests SET status = $4,
         answered_at = CASE WHEN $5::text IS NULL THEN answered_at
                            ELSE date_trunc('milliseconds', now()) END,
         answered_by = coalesce($5, answered_by), reason = coalesce($6, reason),
         updated = date_trunc('milliseconds', now())
       WHERE tenant_id = $1 AND id = $2 AND status = ANY($3::text[]) RETURNING id`,
      [tenant, id, from, to, answer?.by ?? null, answer?.reason ?? null],
    );
    return rows.length > 0;
  }

  async recordPoll(tenant: string, id: string, interval: number): Promise<void> {
    await this.db.query(
      `UPDATE ciba_requests SET last_polled_at = date_trunc('milliseconds', now()),
         poll_interval = $3 WHERE tenant_id = $1 AND id = $2`,
      [tenant, id, interval],
    );
  }

  /**
   * Takes a pending, unexpired, undelivered request whose device is active for delivery in
   * one statement: marks it delivered (the row stays locked until the transaction ends, and
   * a failed delivery rolls the mark back), drops its retry job if that still waits, and
   * answers the row. Undefined when there is nothing to deliver, or not to this device.
   */
  async claimDelivery(
    tenant: string,
    id: string,
    retryJob: { queue: string; id: string },
  ): Promise<CibaRequestRow | undefined> {
    const rows = await this.db.query<CibaRequestRow>(
      `WITH claimed AS (
         UPDATE ciba_requests r SET delivered_at = date_trunc('milliseconds', now())
         WHERE r.tenant_id = $1 AND r.id = $2 AND r.status = 'pending'
           AND r.delivered_at IS NULL AND r.expires_at > now()
           AND EXISTS (SELECT 1 FROM devices d WHERE d.tenant_id = r.tenant_id
                         AND d.id = r.device_id AND d.status = 'ACTIVE')
         RETURNING r.*),
       retry AS (
         DELETE FROM pgboss.job WHERE name = $3 AND id = $4 AND state < 'active'
           AND EXISTS (SELECT 1 FROM claimed))
       SELECT c.*, u.user_name, d.serial_number AS device_serial, d.status AS device_status,
              false AS is_expired,
              extract(epoch FROM now() - c.last_polled_at)::float8 AS since_last_poll
       FROM claimed c
       JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id
       LEFT JOIN devices d ON d.tenant_id = c.tenant_id AND d.id = c.device_id`,
      [tenant, id, retryJob.queue, retryJob.id],
    );
    return rows[0];
  }

  /** The client's notification credential is kept only until it has been used. */
  async forgetNotificationToken(tenant: string, id: string): Promise<void> {
    await this.db.query(
      `UPDATE ciba_requests SET notification_token = NULL WHERE tenant_id = $1 AND id = $2`,
      [tenant, id],
    );
  }
}
