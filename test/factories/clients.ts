import { TransactionHost } from '@nestjs-cls/transactional';
import { v7 as uuidv7 } from 'uuid';
import { GRANT_CIBA, GRANT_CLIENT_CREDENTIALS } from '../../src/auth/scopes';
import { ClientProvisioningService } from '../../src/clients/client-provisioning.service';
import { RequestContextService } from '../../src/context/request-context.service';
import { TestApp } from '../utils/test-app';

export interface TestClient {
  clientId: string;
  secret: string;
}

export interface ClientOverrides {
  clientId?: string;
  grantTypes?: string[];
  scopes?: string[];
  metadata?: Record<string, unknown>;
}

/**
 * A client provisioned the way registration does it (service user, configuration, secret),
 * without the registration API, which is another module's.
 */
export async function createClient(t: TestApp, o: ClientOverrides = {}): Promise<TestClient> {
  const context = t.app.get(RequestContextService);
  const txHost = t.app.get(TransactionHost);
  const provisioning = t.app.get(ClientProvisioningService);
  const { secret, client } = await context.run({ requestId: uuidv7(), tenant: t.tenant }, () =>
    txHost.withTransaction(() =>
      provisioning.provision(t.tenant, {
        clientId: o.clientId ?? `client-${uuidv7()}`,
        grantTypes: o.grantTypes ?? [GRANT_CIBA],
        scopes: o.scopes ?? ['openid'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        metadata: o.metadata ?? { backchannel_token_delivery_mode: 'poll' },
      }),
    ),
  );
  return { clientId: client.client_id, secret };
}

/** A CIBA client in ping or push mode that notifies `endpoint`. */
export function createNotifiedClient(
  t: TestApp,
  mode: 'ping' | 'push',
  endpoint: string,
): Promise<TestClient> {
  return createClient(t, {
    metadata: {
      backchannel_token_delivery_mode: mode,
      backchannel_client_notification_endpoint: endpoint,
    },
  });
}

/** A client that may not use CIBA at all. */
export function createClientCredentialsClient(t: TestApp): Promise<TestClient> {
  return createClient(t, { grantTypes: [GRANT_CLIENT_CREDENTIALS], metadata: {} });
}
