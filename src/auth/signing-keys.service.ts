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
import { SigningKeysRepository } from './signing-keys.repository';

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

  constructor(private readonly keys: SigningKeysRepository) {}

  /** Creates the tenant's key if it has none (bootstrap). */
  async ensureKey(tenant: string): Promise<void> {
    if (await this.keys.hasActiveKey(tenant)) return;
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    await this.keys.insertUnlessActive({
      kid,
      tenant,
      alg: SIGNING_ALG,
      privateKeyPem: await exportPKCS8(privateKey),
      publicJwk: jwk,
    });
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
    return { keys: await this.keys.activePublicJwks(tenant) };
  }

  private async loadSigningKey(tenant: string): Promise<SigningKey> {
    const row = await this.keys.newestActive(tenant);
    if (!row) throw new Error(`tenant ${tenant} has no signing key`);
    return {
      kid: row.kid,
      tenant,
      privateKey: await importPKCS8(row.private_key_pem, SIGNING_ALG),
    };
  }

  private async loadVerificationKey(kid: string): Promise<VerificationKey | undefined> {
    const row = await this.keys.activeByKid(kid);
    if (!row) return undefined;
    return {
      kid,
      tenant: row.tenant_id,
      publicKey: await importJWK(row.public_jwk, SIGNING_ALG),
    };
  }
}
