import { Injectable } from '@nestjs/common';
import { AuthenticatedClient, FormBody } from './client-authenticator.service';
import { TokenResponse } from './token.service';

export type GrantHandler = (
  tenant: string,
  client: AuthenticatedClient,
  body: FormBody,
) => Promise<TokenResponse>;

/** Lets feature modules (CIBA) add grant types to the token endpoint without auth knowing them. */
@Injectable()
export class TokenGrantRegistry {
  private readonly handlers = new Map<string, GrantHandler>();

  register(grantType: string, handler: GrantHandler): void {
    this.handlers.set(grantType, handler);
  }

  get(grantType: string): GrantHandler | undefined {
    return this.handlers.get(grantType);
  }
}
