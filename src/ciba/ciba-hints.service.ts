import { Inject, Injectable } from '@nestjs/common';
import {
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  JSONWebKeySet,
  jwtVerify,
  JWTPayload,
  UnsecuredJWT,
} from 'jose';
import { createHash } from 'node:crypto';
import { AccessTokenService } from '../auth/access-token.service';
import { SIGNING_ALG, SigningKeysService } from '../auth/signing-keys.service';
import { ClientRow } from '../clients/client-row';
import { ApiError, oauthError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UserRow } from '../users/user-row';
import { isUuid } from '../common/uuid';
import { UsersRepository } from '../users/users.repository';
import { ChallengeContent, HintKind } from './ciba-request-row';
import { CibaRequestsRepository } from './ciba-requests.repository';

/** Algorithms a client may sign its login_hint_token with (keys from its `jwks` metadata). */
const CLIENT_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];

export interface ResolvedHint {
  user: UserRow;
  device: { id: string; serial_number: string; type: string };
  challenge: ChallengeContent;
}

/**
 * Finds the user a CIBA request is about, and the active device the challenge goes to, from
 * exactly one hint: `login_hint` (a userName), `login_hint_token` (HID's LHT: an unsigned or
 * signed JWT with `usercode` or `sub`, and optionally `deviceid`, `channel`, `authpol`,
 * `tds`) or `id_token_hint` (an ID token this tenant issued to the same client).
 */
@Injectable()
export class CibaHintsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly requests: CibaRequestsRepository,
    private readonly keys: SigningKeysService,
    private readonly tokens: AccessTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async resolve(
    tenant: string,
    client: ClientRow,
    hint: { kind: HintKind; value: string },
  ): Promise<ResolvedHint> {
    let user: UserRow | undefined;
    let deviceHint: string | undefined;
    let challenge: ChallengeContent = {};
    switch (hint.kind) {
      case 'login_hint':
        user = await this.users.findByUserName(tenant, hint.value);
        break;
      case 'login_hint_token': {
        const claims = await this.readLoginHintToken(tenant, client, hint.value);
        const userCode = this.claim(claims, 'usercode');
        const sub = this.claim(claims, 'sub');
        if (!userCode && !sub) throw invalidRequest('The login_hint_token names no user');
        user = userCode
          ? await this.users.findByUserName(tenant, userCode)
          : await this.users.findById(tenant, sub ?? '');
        if (user && userCode && sub && sub !== user.id) {
          throw invalidRequest('The login_hint_token names two different users');
        }
        deviceHint = this.claim(claims, 'deviceid');
        challenge = {
          loginHintTokenDigest: createHash('sha256').update(hint.value).digest('base64url'),
          ...optional('channel', this.claim(claims, 'channel')),
          ...optional('authenticatorType', this.claim(claims, 'authpol')),
          ...optional('transactionData', this.claim(claims, 'tds')),
        };
        break;
      }
      case 'id_token_hint':
        user = await this.users.findById(tenant, await this.readIdTokenHint(client, hint.value));
        break;
    }
    if (!user || !user.active || user.service_account) {
      throw oauthError(400, 'unknown_user_id', 'The hint does not identify a known, active user');
    }
    const device = await this.requests.activeDeviceOf(tenant, user.id, deviceHint);
    if (!device) {
      throw oauthError(
        400,
        'unknown_user_id',
        deviceHint
          ? 'The named device is not an active device of the user'
          : 'The user has no active device',
      );
    }
    return { user, device, challenge };
  }

  private async readLoginHintToken(
    tenant: string,
    client: ClientRow,
    token: string,
  ): Promise<JWTPayload> {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch {
      throw invalidRequest('The login_hint_token is not a JWT');
    }
    try {
      const payload =
        alg === 'none'
          ? UnsecuredJWT.decode(token).payload
          : (await this.verifySigned(tenant, client, token, kid)).payload;
      const aud = payload.aud;
      const issuer = this.tokens.issuer(tenant);
      if (aud !== undefined && !(Array.isArray(aud) ? aud : [aud]).includes(issuer)) {
        throw invalidRequest('The login_hint_token is meant for another audience');
      }
      return payload;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_JWT_EXPIRED') {
        throw oauthError(400, 'expired_login_hint_token', 'The login_hint_token has expired');
      }
      if ((e as { code?: string }).code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
        throw invalidRequest('The login_hint_token is not valid yet or its claims are malformed');
      }
      if (e instanceof ApiError) throw e;
      throw invalidRequest('The login_hint_token could not be verified');
    }
  }

  /** A signed LHT is signed by the client (a key of its `jwks`) or by this tenant. */
  private async verifySigned(tenant: string, client: ClientRow, token: string, kid?: string) {
    const tenantKey = kid && kid.length <= 64 ? await this.keys.verificationKey(kid) : undefined;
    if (tenantKey && tenantKey.tenant === tenant) {
      return jwtVerify(token, tenantKey.publicKey, { algorithms: [SIGNING_ALG] });
    }
    const jwks = client.metadata.jwks as JSONWebKeySet | undefined;
    if (!jwks || !Array.isArray(jwks.keys)) {
      throw invalidRequest('The login_hint_token is signed with an unknown key');
    }
    return jwtVerify(token, createLocalJWKSet(jwks), { algorithms: CLIENT_ALGS });
  }

  /**
   * An ID token this tenant issued to this client; its `sub` is the user's id. Like other
   * providers, an expired one is still a good hint: only signature, issuer and audience count.
   */
  private async readIdTokenHint(client: ClientRow, token: string): Promise<string> {
    try {
      const header = decodeProtectedHeader(token);
      const key =
        header.alg === SIGNING_ALG && header.kid && header.kid.length <= 64
          ? await this.keys.verificationKey(header.kid)
          : undefined;
      if (!key || key.tenant !== client.tenant_id || /at\+jwt/i.test(header.typ ?? '')) {
        throw new Error('not an ID token of this tenant');
      }
      const { payload } = await compactVerify(token, key.publicKey);
      const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (
        claims.iss !== this.tokens.issuer(key.tenant) ||
        !aud.includes(client.client_id) ||
        typeof claims.sub !== 'string' ||
        !isUuid(claims.sub)
      ) {
        throw new Error('claims do not match');
      }
      return claims.sub;
    } catch {
      throw invalidRequest('The id_token_hint is not an ID token this tenant issued to the client');
    }
  }

  /** A string claim, or a JSON one made a string (HID's `tds`), within the size limit. */
  private claim(claims: JWTPayload, name: string): string | undefined {
    const value = claims[name];
    if (value === undefined || value === null) return undefined;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text.length > this.config.limits.stringLength) {
      throw invalidRequest(`The login_hint_token claim ${name} is too long`);
    }
    return text === '' ? undefined : text;
  }
}

function optional<K extends string>(key: K, value: string | undefined) {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function invalidRequest(description: string) {
  return oauthError(400, 'invalid_request', description);
}
