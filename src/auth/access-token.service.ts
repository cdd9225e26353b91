import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SIGNING_ALG, SigningKeysService } from './signing-keys.service';

export interface AccessTokenClaims {
  sub: string;
  client_id: string;
  tenant: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  /** How the client authenticated when it got the token (audit session detail). */
  client_auth_method?: string;
}

const VERIFIED_CACHE_MAX = 10_000;
const VERIFIED_CACHE_TTL_MS = 60_000;

/** RFC 9068 JWT access tokens: typ at+jwt, ES256, kid in the header. */
@Injectable()
export class AccessTokenService {
  /**
   * Tokens whose signature already verified, so a client sending the same token on every
   * call pays for ES256 verification once a minute rather than once a request. The expiry
   * is still checked on every use; a token string cannot change, so neither can its verdict.
   */
  private readonly verified = new Map<string, { claims: AccessTokenClaims; until: number }>();

  constructor(
    private readonly keys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issuer(tenant: string): string {
    return `${this.config.publicBaseUrl}/${tenant}`;
  }

  /** The management API of the tenant is the resource every token is for. */
  audience(tenant: string): string {
    return `${this.config.publicBaseUrl}/${tenant}/v2`;
  }

  async issue(
    tenant: string,
    clientId: string,
    scopes: string[],
    extra: Record<string, unknown> = {},
    ttlSeconds = this.config.accessTokenTtlSeconds,
  ): Promise<{ token: string; jti: string; expiresIn: number }> {
    const key = await this.keys.signingKey(tenant);
    const jti = uuidv7();
    const token = await new SignJWT({
      client_id: clientId,
      tenant,
      scope: scopes.join(' '),
      ...extra,
    })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: 'at+jwt', kid: key.kid })
      .setIssuer(this.issuer(tenant))
      .setAudience(this.audience(tenant))
      .setSubject(clientId)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, jti, expiresIn: ttlSeconds };
  }

  /** Verifies signature, type, issuer, audience and lifetime; returns the claims or a reason. */
  async verify(token: string): Promise<{ claims: AccessTokenClaims } | { error: string }> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit && hit.until > now) {
      return hit.claims.exp * 1000 > now ? { claims: hit.claims } : { error: 'token expired' };
    }
    const result = await this.verifyUncached(token);
    if ('claims' in result) {
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
      this.verified.set(token, { claims: result.claims, until: now + VERIFIED_CACHE_TTL_MS });
    }
    return result;
  }

  private async verifyUncached(
    token: string,
  ): Promise<{ claims: AccessTokenClaims } | { error: string }> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== SIGNING_ALG) return { error: 'unsupported token algorithm' };
      if (!/^(application\/)?at\+jwt$/i.test(header.typ ?? ''))
        return { error: 'not an access token' };
      kid = header.kid;
    } catch {
      return { error: 'malformed token' };
    }
    if (!kid || kid.length > 64) return { error: 'unknown signing key' };
    const key = await this.keys.verificationKey(kid);
    if (!key) return { error: 'unknown signing key' };
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [SIGNING_ALG],
        issuer: this.issuer(key.tenant),
        audience: this.audience(key.tenant),
        typ: 'at+jwt',
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      if (payload.tenant !== key.tenant || typeof payload.client_id !== 'string') {
        return { error: 'token claims do not match its key' };
      }
      return { claims: payload as unknown as AccessTokenClaims };
    } catch (e) {
      const code = (e as { code?: string }).code;
      return {
        error: code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'token signature or claims invalid',
      };
    }
  }

  /** The client id an unverifiable token claims, for failure records only. */
  claimedClientId(token: string): string | undefined {
    try {
      const claim = decodeJwt(token).client_id;
      return typeof claim === 'string' && /^[A-Za-z0-9_.:@-]{1,128}$/.test(claim)
        ? claim
        : undefined;
    } catch {
      return undefined;
    }
  }
}
