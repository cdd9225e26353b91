import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { JobsModule } from '../jobs/jobs.module';
import { UsersModule } from '../users/users.module';
import { ChallengeDeliveryService } from './challenge-delivery.service';
import { ChallengeGateway, LoggingChallengeGateway } from './challenge-gateway';
import { CibaController } from './ciba.controller';
import { CibaHintsService } from './ciba-hints.service';
import { CibaJobsService } from './ciba-jobs.service';
import { CibaNotifierService } from './ciba-notifier.service';
import { CibaRequestsRepository } from './ciba-requests.repository';
import { CibaTokenService } from './ciba-token.service';
import { CibaService } from './ciba.service';

/**
 * OpenID Connect CIBA: bcauthorize, the authenticator's answers, the token grant (it
 * registers itself with the token endpoint), challenge delivery, expiry and client
 * notifications as durable jobs.
 */
@Module({
  imports: [AuditModule, AuthModule, JobsModule, UsersModule],
  controllers: [CibaController],
  providers: [
    CibaService,
    CibaHintsService,
    CibaTokenService,
    CibaJobsService,
    ChallengeDeliveryService,
    CibaNotifierService,
    CibaRequestsRepository,
    { provide: ChallengeGateway, useClass: LoggingChallengeGateway },
  ],
  exports: [ChallengeGateway],
})
export class CibaModule {}
