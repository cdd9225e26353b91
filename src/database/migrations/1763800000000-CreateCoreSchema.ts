import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants, signing keys, clients, users and the append-only audit trail.
 *
 * Audit records get `created` from the database clock and their `hash` in a BEFORE INSERT
 * trigger, so the hash covers exactly what is stored and can be recomputed by the same SQL
 * function when a record is checked. UPDATE, DELETE and TRUNCATE are refused by triggers for
 * every role, and the privileges are revoked from the role that owns the table.
 */
export class CreateCoreSchema1763800000000 implements MigrationInterface {
  name = 'CreateCoreSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id text PRIMARY KEY,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        alg text NOT NULL,
        private_key_pem text NOT NULL,
        public_jwk jsonb NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX signing_keys_tenant ON signing_keys (tenant_id) WHERE active`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        user_name text NOT NULL,
        external_id text,
        active boolean NOT NULL DEFAULT true,
        service_account boolean NOT NULL DEFAULT false,
        password_hash text,
        resource jsonb NOT NULL DEFAULT '{}'::jsonb,
        version integer NOT NULL DEFAULT 1,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        last_modified timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    // userName is caseExact=false in RFC 7643, so uniqueness ignores case.
    await q.query(
      `CREATE UNIQUE INDEX users_tenant_user_name ON users (tenant_id, lower(user_name))`,
    );
    await q.query(
      `CREATE INDEX users_tenant_external_id ON users (tenant_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX users_tenant_created ON users (tenant_id, created, id)`);

    await q.query(`
      CREATE TABLE clients (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        client_id text NOT NULL,
        client_name text,
        secret_digest text NOT NULL,
        registration_token_digest text,
        grant_types text[] NOT NULL DEFAULT '{client_credentials}',
        scopes text[] NOT NULL DEFAULT '{}',
        token_endpoint_auth_method text NOT NULL DEFAULT 'client_secret_basic',
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        service_user_id uuid REFERENCES users(id),
        client_secret_expires_at bigint NOT NULL DEFAULT 0,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (tenant_id, client_id)
      )`);

    await q.query(`
      CREATE TABLE audit_records (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        correlation_id text,
        request_id uuid NOT NULL,
        coi text,
        service_id text NOT NULL,
        service_host text,
        action_name text NOT NULL,
        action_parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
        result text NOT NULL CHECK (result IN ('RESPONSE_SUCCESS', 'RESPONSE_FAILURE')),
        message text,
        return_value jsonb,
        acting_user_id text,
        acting_user_immutable_id text,
        acting_session_id text,
        acting_auth_method text,
        target_user_id text,
        target_user_immutable_id text,
        created timestamptz(3) NOT NULL,
        hash char(64) NOT NULL
      )`);
    await q.query(
      `CREATE INDEX audit_records_tenant_created ON audit_records (tenant_id, created, id)`,
    );
    await q.query(
      `CREATE INDEX audit_records_tenant_correlation ON audit_records (tenant_id, correlation_id) WHERE correlation_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX audit_records_tenant_coi ON audit_records (tenant_id, coi) WHERE coi IS NOT NULL`,
    );

    await q.query(`
      CREATE FUNCTION audit_record_hash(r audit_records) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(jsonb_build_object(
          'id', r.id, 'tenantId', r.tenant_id, 'correlationId', r.correlation_id,
          'requestId', r.request_id, 'coi', r.coi,
          'service', jsonb_build_object('id', r.service_id, 'host', r.service_host),
          'action', jsonb_build_object('actionName', r.action_name, 'actionParameters', r.action_parameters),
          'result', r.result, 'message', r.message, 'returnValue', r.return_value,
          'actingUserId', jsonb_build_object('id', r.acting_user_id, 'immutableId', r.acting_user_immutable_id,
                            'sessionId', r.acting_session_id, 'authenticationMethod', r.acting_auth_method),
          'targetUserId', jsonb_build_object('id', r.target_user_id, 'immutableId', r.target_user_immutable_id),
          'created', to_char(r.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        )::text, 'UTF8')), 'hex')
      $$`);
    await q.query(`
      CREATE FUNCTION audit_records_before_insert() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        NEW.created := date_trunc('milliseconds', now());
        NEW.hash := audit_record_hash(NEW);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_records_stamp BEFORE INSERT ON audit_records
      FOR EACH ROW EXECUTE FUNCTION audit_records_before_insert()`);
    await q.query(`
      CREATE FUNCTION audit_records_refuse_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
      FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
      FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM CURRENT_USER`);
  }

  async down(): Promise<void> {
    throw new Error('The audit trail is append-only; this migration is not reversible.');
  }
}
