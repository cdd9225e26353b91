import { Injectable } from '@nestjs/common';
import {
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  importJWK,
  JWK,
  KeyLike,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runSql } from '../database/run-sql';

export const SIGNING_ALG = 'ES256';

export interface SigningKey {
  kid: string;
  tenant: string;
  privateKey: KeyLike;
}

export interface VerificationKey {
  kid: string;
  tenant: string;
  publicKey: KeyLike | Uint8Array;
}

/**
 * One ES256 key pair per tenant, kept in the database so every instance signs and verifies
 * with the same keys and tokens survive restarts. Keys are cached after the first read.
 */
@Injectable()
export class SigningKeysService {
  private readonly signing = new Map<string, Promise<SigningKey>>();
  private readonly verifying = new Map<string, Promise<VerificationKey | undefined>>();

  constructor(private readonly dataSource: DataSource) {}

  /** Creates the tenant's key if it has none (bootstrap). */
  async ensureKey(tenant: string): Promise<void> {
    const existing: unknown[] = await runSql(
      this.dataSource.manager,
      'SELECT 1 FROM signing_keys WHERE tenant_id = $1 AND active',
      [tenant],
    );
    if (existing.length > 0) return;
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    await runSql(
      this.dataSource.manager,
      `INSERT INTO signing_keys (kid, tenant_id, alg, private_key_pem, public_jwk)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS
         (SELECT 1 FROM signing_keys WHERE tenant_id = $2 AND active)`,
      [kid, tenant, SIGNING_ALG, await exportPKCS8(privateKey), JSON.stringify(jwk)],
    );
  }

  signingKey(tenant: string): Promise<SigningKey> {
    let key = this.signing.get(tenant);
    if (!key) {
      key = this.loadSigningKey(tenant);
      this.signing.set(tenant, key);
      key.catch(() => this.signing.delete(tenant));
    }
    return key;
  }

  verificationKey(kid: string): Promise<VerificationKey | undefined> {
    let key = this.verifying.get(kid);
    if (!key) {
      key = this.loadVerificationKey(kid);
      this.verifying.set(kid, key);
      void key.then(
        (k) => !k && this.verifying.delete(kid),
        () => this.verifying.delete(kid),
      );
    }
    return key;
  }

  async jwks(tenant: string): Promise<{ keys: JWK[] }> {
    const rows: { public_jwk: JWK }[] = await runSql(
      this.dataSource.manager,
      'SELECT public_jwk FROM signing_keys WHERE tenant_id = $1 AND active ORDER BY created',
      [tenant],
    );
    return { keys: rows.map((r) => r.public_jwk) };
  }

  private async loadSigningKey(tenant: string): Promise<SigningKey> {
    const rows: { kid: string; private_key_pem: string }[] = await runSql(
      this.dataSource.manager,
      'SELECT kid, private_key_pem FROM signing_keys WHERE tenant_id = $1 AND active ORDER BY created DESC LIMIT 1',
      [tenant],
    );
    if (rows.length === 0) throw new Error(`tenant ${tenant} has no signing key`);
    return {
      kid: rows[0].kid,
      tenant,
      privateKey: await importPKCS8(rows[0].private_key_pem, SIGNING_ALG),
    };
  }

  private async loadVerificationKey(kid: string): Promise<VerificationKey | undefined> {
    const rows: { tenant_id: string; public_jwk: JWK }[] = await runSql(
      this.dataSource.manager,
      'SELECT tenant_id, public_jwk FROM signing_keys WHERE kid = $1 AND active',
      [kid],
    );
    if (rows.length === 0) return undefined;
    return {
      kid,
      tenant: rows[0].tenant_id,
      publicKey: await importJWK(rows[0].public_jwk, SIGNING_ALG),
    };
  }
}
