import { TransactionHost } from '@nestjs-cls/transactional';
import { v7 as uuidv7 } from 'uuid';
import { GRANT_CIBA } from '../../src/common/scopes';
import { ClientProvisioningService } from '../../src/clients/client-provisioning.service';
import { RequestContextService } from '../../src/context/request-context.service';
import { TestApp } from '../utils/test-app';
import { ClientKit } from './client';

export interface TestClient {
  clientId: string;
  secret: string;
}

/** A client registered through POST /{tenant}/authn/register, as a relying party would. */
export async function registerClient(
  t: TestApp,
  metadata: Record<string, unknown>,
): Promise<TestClient> {
  const client = await new ClientKit(t).client(metadata);
  return { clientId: client.client_id, secret: client.client_secret };
}

/** A CIBA client in poll mode (scope openid). */
export function registerCibaClient(t: TestApp): Promise<TestClient> {
  return registerClient(t, { grant_types: [GRANT_CIBA], scope: 'openid' });
}

/** A CIBA client in ping or push mode that notifies `endpoint`. */
export function registerNotifiedClient(
  t: TestApp,
  mode: 'ping' | 'push',
  endpoint: string,
): Promise<TestClient> {
  return registerClient(t, {
    grant_types: [GRANT_CIBA],
    scope: 'openid',
    backchannel_token_delivery_mode: mode,
    backchannel_client_notification_endpoint: endpoint,
  });
}

/** A client that may not use CIBA at all. */
export function registerClientCredentialsClient(t: TestApp): Promise<TestClient> {
  return registerClient(t, { grant_types: ['client_credentials'] });
}

/**
 * A CIBA client provisioned directly with metadata registration does not accept yet (a
 * `jwks` to verify the login_hint_tokens it signs).
 */
export async function provisionCibaClient(
  t: TestApp,
  metadata: Record<string, unknown>,
): Promise<TestClient> {
  const context = t.app.get(RequestContextService);
  const txHost = t.app.get(TransactionHost);
  const provisioning = t.app.get(ClientProvisioningService);
  const { secret, client } = await context.run({ requestId: uuidv7(), tenant: t.tenant }, () =>
    txHost.withTransaction(() =>
      provisioning.provision(t.tenant, {
        clientId: `client-${uuidv7()}`,
        grantTypes: [GRANT_CIBA],
        scopes: ['openid'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        metadata: { backchannel_token_delivery_mode: 'poll', ...metadata },
      }),
    ),
  );
  return { clientId: client.client_id, secret };
}
