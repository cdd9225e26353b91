/**
 * The statements retention runs as the schema owner. `@part` is a partition's quoted name
 * (read from the catalogue, never from input); every statement on records or seals names
 * the tenant.
 */

/** The partitions in range order, their bounds as ISO text (`-infinity` for the first). */
export const PARTITIONS = `
  SELECT name, CASE WHEN starts = '-infinity' THEN '-infinity'
                    ELSE to_char(starts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END AS starts,
         to_char(ends AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ends
    FROM audit_record_partitions() ORDER BY starts`;

/** Each tenant's period: its own, else null (the global setting applies). */
export const TENANT_RETENTION = `SELECT id, audit_retention_days AS days FROM tenants`;

export const ANY_TENANT_RETENTION = `SELECT EXISTS (
  SELECT 1 FROM tenants WHERE audit_retention_days IS NOT NULL) AS any`;

/** Who has records in the partition, and how many. */
export const TENANTS_IN = `SELECT r.tenant_id, count(*)::int AS records FROM @part r
  GROUP BY r.tenant_id ORDER BY r.tenant_id`;

/** The tenant's records in the partition that its last seal does not cover. */
export const UNSEALED_IN = `SELECT count(*)::int AS n FROM @part r
  WHERE r.tenant_id = $1 AND NOT EXISTS (
    SELECT 1 FROM audit_seals s WHERE s.tenant_id = r.tenant_id
      AND (s.last_xact_id, s.last_record_id) >= (r.xact_id, r.id))`;

/**
 * The tenant's seals that end in the partition, with how many of their records it holds: a
 * seal is droppable only when it holds all of them (seals never span months; one made
 * before that rule might).
 */
export const SEALS_IN = `SELECT s.seq::text AS seq, s.id, s.record_count AS count,
    (SELECT count(*)::int FROM @part r WHERE r.tenant_id = s.tenant_id
       AND (r.xact_id, r.id) >= (s.first_xact_id, s.first_record_id)
       AND (r.xact_id, r.id) <= (s.last_xact_id, s.last_record_id)) AS inside
  FROM audit_seals s
  WHERE s.tenant_id = $1 AND EXISTS (SELECT 1 FROM @part r WHERE r.tenant_id = s.tenant_id
    AND r.xact_id = s.last_xact_id AND r.id = s.last_record_id)
  ORDER BY s.seq`;

/** Whether a log stream of the tenant has yet to deliver a record of the partition. */
export const UNDELIVERED_IN = `SELECT EXISTS (
  SELECT 1 FROM log_streams s WHERE s.tenant_id = $1 AND EXISTS (
    SELECT 1 FROM @part r WHERE r.tenant_id = s.tenant_id
      AND (r.created, r.id) > (s.checkpoint_created, s.checkpoint_id))) AS pending`;

/** Whether the tenant's trail already says the partition was purged (a drop retried). */
export const PURGE_RECORDED = `SELECT EXISTS (
  SELECT 1 FROM audit_records r WHERE r.tenant_id = $1 AND r.action_name = 'purgeAuditRecords'
    AND r.action_parameters->>'partition' = $2) AS recorded`;
