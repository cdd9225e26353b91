import { Injectable, Logger } from '@nestjs/common';

/** What a device is sent: enough to show the request and answer it, no secret. */
export interface DeviceChallenge {
  tenant: string;
  authReqId: string;
  deviceId: string;
  deviceSerialNumber: string;
  userName: string;
  clientId: string;
  scope: string;
  bindingMessage?: string;
  transactionData?: string;
  expiresAt: Date;
}

/**
 * The way a challenge reaches a device (a push provider, an SMS gateway...). It is called
 * from a durable job, so a failure is retried; it must tolerate being called twice for the
 * same `authReqId`.
 */
export abstract class ChallengeGateway {
  abstract deliver(challenge: DeviceChallenge): Promise<void>;
}

/**
 * The default gateway: this service has no push provider of its own. The device's
 * authenticator service learns of the challenge from this log line (or a provider bound in
 * its place) and answers through the approve/deny endpoints.
 */
@Injectable()
export class LoggingChallengeGateway extends ChallengeGateway {
  private readonly logger = new Logger('ChallengeGateway');

  async deliver(challenge: DeviceChallenge): Promise<void> {
    this.logger.log(
      {
        authReqId: challenge.authReqId,
        device: challenge.deviceSerialNumber,
        clientId: challenge.clientId,
      },
      'CIBA challenge ready for the device',
    );
  }
}
