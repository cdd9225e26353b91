import {
  Body,
  CanActivate,
  Controller,
  Get,
  HttpCode,
  Injectable,
  MiddlewareConsumer,
  Module,
  NestMiddleware,
  NestModule,
  ParseIntPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { RequireScopes } from '../../src/common/access.decorators';
import { AuditedAs } from '../../src/audit/audit-action.decorator';
import { RequestContextService } from '../../src/context/request-context.service';
import { UsersController } from '../../src/users/users.controller';

/**
 * Test-only routes mounted inside the real pipeline (global guards, exception filter, hooks)
 * to reach what the product routes cannot show on their own: a throwing pipe or guard, an
 * unexpected crash, the import body limit, and what a Nest middleware sees of the context.
 */

/** What the probe middleware saw, by request id: the correlation id in the CLS context. */
export const middlewareSaw = new Map<string, string | undefined>();

@Injectable()
class ProbeMiddleware implements NestMiddleware {
  constructor(private readonly context: RequestContextService) {}

  use(_req: unknown, _res: unknown, next: () => void): void {
    const ctx = this.context.get();
    if (ctx) middlewareSaw.set(ctx.requestId, ctx.correlationId);
    next();
  }
}

@Injectable()
class ExplodingGuard implements CanActivate {
  canActivate(): boolean {
    throw new Error('probe guard exploded');
  }
}

@Controller(':tenant/v2/Probe')
class ProbeController {
  constructor(private readonly context: RequestContextService) {}

  @Get('pipe')
  @RequireScopes('users:read')
  readNumber(@Query('n', ParseIntPipe) n: number): { n: number } {
    return { n };
  }

  @Get('guard')
  @UseGuards(ExplodingGuard)
  guarded(): void {}

  @Post('crash')
  @AuditedAs('createUser')
  crash(): never {
    throw new Error('probe crash with secret detail');
  }

  @Post('.import')
  @HttpCode(200)
  @RequireScopes('import:write')
  importSomething(@Body() body: unknown): { bytes: number } {
    return { bytes: JSON.stringify(body).length };
  }

  @Get('context')
  @RequireScopes('users:read')
  readContext(): Record<string, unknown> {
    const ctx = this.context.require();
    return { requestId: ctx.requestId, correlationId: ctx.correlationId, actor: ctx.actor?.id };
  }
}

@Module({ controllers: [ProbeController], providers: [ExplodingGuard, ProbeMiddleware] })
export class ProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ProbeMiddleware).forRoutes(ProbeController, UsersController);
  }
}
