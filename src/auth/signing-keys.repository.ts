import { Injectable } from '@nestjs/common';
import { JWK } from 'jose';
import { Database } from '../database/database';

export interface NewSigningKey {
  kid: string;
  tenant: string;
  alg: string;
  privateKeyPem: string;
  publicJwk: JWK;
}

/** The signing_keys table: one active ES256 key pair per tenant. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly db: Database) {}

  async hasActiveKey(tenant: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM signing_keys WHERE tenant_id = $1 AND active', [
      tenant,
    ]);
    return rows.length > 0;
  }

  /** Stores the key unless the tenant got an active one meanwhile (another instance). */
  async insertUnlessActive(key: NewSigningKey): Promise<void> {
    await this.db.query(
      `INSERT INTO signing_keys (kid, tenant_id, alg, private_key_pem, public_jwk)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS
         (SELECT 1 FROM signing_keys WHERE tenant_id = $2 AND active)`,
      [key.kid, key.tenant, key.alg, key.privateKeyPem, JSON.stringify(key.publicJwk)],
    );
  }

  async activePublicJwks(tenant: string): Promise<JWK[]> {
    const rows = await this.db.query<{ public_jwk: JWK }>(
      'SELECT public_jwk FROM signing_keys WHERE tenant_id = $1 AND active ORDER BY created',
      [tenant],
    );
    return rows.map((r) => r.public_jwk);
  }

  /** The tenant's newest active private key. */
  async newestActive(
    tenant: string,
  ): Promise<{ kid: string; private_key_pem: string } | undefined> {
    const rows = await this.db.query<{ kid: string; private_key_pem: string }>(
      `SELECT kid, private_key_pem FROM signing_keys WHERE tenant_id = $1 AND active
       ORDER BY created DESC LIMIT 1`,
      [tenant],
    );
    return rows[0];
  }

  /**
   * The key a token names, whichever tenant's it is: the bearer guard answers another
   * tenant's valid token 403, not 401, so this one lookup looks across tenants.
   */
  async activeByKid(kid: string): Promise<{ tenant_id: string; public_jwk: JWK } | undefined> {
    const rows = await this.db.acrossTenants('verify a token of any tenant', () =>
      this.db.query<{ tenant_id: string; public_jwk: JWK }>(
        'SELECT tenant_id, public_jwk FROM signing_keys WHERE kid = $1 AND active',
        [kid],
      ),
    );
    return rows[0];
  }
}
