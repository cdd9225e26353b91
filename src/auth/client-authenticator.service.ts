import { Injectable } from '@nestjs/common';
import { ApiError, oauthError } from '../common/api-error';
import { ClientRow } from '../clients/client-row';
import { ClientsRepository } from '../clients/clients.repository';
import { RequestContextService } from '../context/request-context.service';
import { digestSecret, generateSecret, needsRehash, verifySecret } from '../common/secrets';
import { ClientProvisioningService } from '../clients/client-provisioning.service';
import { RequestLimitsService } from './request-limits.service';
import { storableText, unsafeProblem } from '../common/text-safety';
import { TenantsService } from './tenants.service';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface AuthenticatedClient {
  client: ClientRow;
  method: ClientAuthMethod;
}

export type FormBody = Record<string, string | string[] | undefined>;

/**
 * OAuth client authentication (RFC 6749 §2.3.1) for the token and CIBA endpoints:
 * `client_secret_basic` or `client_secret_post`, never both. Every failure is the same
 * `invalid_client`, whether the tenant, the client or the secret was wrong. Either secret
 * method is accepted for every client; the registered `token_endpoint_auth_method` is advice.
 */
@Injectable()
export class ClientAuthenticatorService {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientsRepository,
    private readonly context: RequestContextService,
    private readonly limits: RequestLimitsService,
    private readonly provisioning: ClientProvisioningService,
  ) {}

  async authenticate(
    tenant: string,
    authorization: string | undefined,
    body: FormBody,
  ): Promise<AuthenticatedClient> {
    const basic = authorization ? parseBasic(authorization) : undefined;
    if (basic) refuseUnstorable(basic);
    const postId = single(body, 'client_id');
    const postSecret = single(body, 'client_secret');
    if (authorization && !basic) {
      throw invalidClient(tenant, true, 'Unsupported or malformed Authorization header');
    }
    if (basic && postSecret !== undefined) {
      throw oauthError(400, 'invalid_request', 'Use exactly one client authentication method');
    }
    const method: ClientAuthMethod = basic ? 'client_secret_basic' : 'client_secret_post';
    const clientId = basic?.clientId ?? postId;
    const secret = basic?.secret ?? postSecret;
    if (basic && postId !== undefined && postId !== basic.clientId) {
      throw oauthError(400, 'invalid_request', 'client_id does not match the authenticated client');
    }
    if (!clientId) throw invalidClient(tenant, !!basic, 'Client authentication is required');
    const ctx = this.context.require();
    ctx.claimedClientId = clientId.slice(0, 128);
    const claimed = ctx.claimedClientId;
    this.limits.checkAuthentication(tenant, claimed, ctx.clientAddress);
    const client =
      secret === undefined || secret === ''
        ? undefined
        : await this.verify(tenant, clientId, secret);
    if (!client) {
      this.limits.noteAuthenticationFailure(tenant, claimed, ctx.clientAddress);
      throw invalidClient(tenant, !!basic, 'Client authentication failed');
    }
    if (needsRehash(client.secret_digest)) await this.provisioning.rehashSecret(client, secret!);
    this.limits.countRequest(tenant, client.client_id);
    return { client, method };
  }

  private async verify(
    tenant: string,
    clientId: string,
    secret: string,
  ): Promise<ClientRow | undefined> {
    const client = (await this.tenants.exists(tenant))
      ? await this.clients.findByClientId(tenant, clientId)
      : undefined;
    // Compare even when there is no client, so timing does not tell which part was wrong.
    const ok = await verifySecret(secret, client?.secret_digest ?? UNKNOWN_CLIENT_DIGEST);
    return ok ? client : undefined;
  }
}

/**
 * What a secret is compared with when the tenant or the client is unknown: a digest of the
 * same kind as every client's (SHA-256), so the time of the answer does not tell whether a
 * tenant or a client exists (API.md §1).
 */
const UNKNOWN_CLIENT_DIGEST = digestSecret(generateSecret());

function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const form = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/**
 * Credentials no client can have (a NUL or an unpaired surrogate once percent-decoded) are a
 * malformed request, refused like the same bytes in a form parameter, before any lookup.
 */
function refuseUnstorable(basic: { clientId: string; secret: string }): void {
  for (const [name, value] of [
    ['client_id', basic.clientId],
    ['client_secret', basic.secret],
  ] as const) {
    const problem = unsafeProblem(value);
    if (problem) {
      throw oauthError(
        400,
        'invalid_request',
        `${name} in the Basic credentials must not contain ${problem === 'NUL' ? 'the NUL character' : 'an unpaired UTF-16 surrogate'}`,
      );
    }
  }
}

/**
 * The client id well-formed Basic credentials claim (cut as authentication cuts it), for the
 * throttle's early answer; undefined when authentication would refuse the header otherwise.
 */
export function claimedBasicClientId(header: string): string | undefined {
  const basic = parseBasic(header);
  if (!basic?.clientId || unsafeProblem(basic.clientId) || unsafeProblem(basic.secret)) {
    return undefined;
  }
  return basic.clientId.slice(0, 128);
}

/** The client id a Basic header names, unverified: for failure records only, never the secret. */
export function basicClientId(header: string): string | undefined {
  const clientId = parseBasic(header)?.clientId.slice(0, 128);
  return clientId ? storableText(clientId) : undefined;
}

/** A form parameter that must appear at most once (RFC 6749 §3.2). */
export function single(body: FormBody, name: string): string | undefined {
  const value = body[name];
  if (Array.isArray(value)) {
    throw oauthError(400, 'invalid_request', `Parameter ${name} must not be repeated`);
  }
  return value;
}

function invalidClient(tenant: string, basic: boolean, description: string): ApiError {
  return oauthError(
    401,
    'invalid_client',
    description,
    basic ? { 'WWW-Authenticate': `Basic realm="${tenant}"` } : undefined,
  );
}
