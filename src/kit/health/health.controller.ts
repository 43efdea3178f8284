import { Controller, Get, HttpStatus } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/route-security.decorator';
import { ApiProblemResponse } from '../openapi/api-problem-response.decorator';
import { DatabaseHealthIndicator } from './database.health';
import { HealthStatusSchema } from './health-status.schema';
import { RedisHealthIndicator } from './redis.health';

interface HealthStatus {
  status: string;
}

/** Liveness and readiness for orchestrators. Public, so they answer a status and nothing else. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get('live')
  @ApiOkResponse({ description: 'The process is up.', standardSchema: HealthStatusSchema })
  live(): HealthStatus {
    return { status: 'ok' };
  }

  @Get('ready')
  // Terminus would document its own 503 body (indicator names, messages); ours is the fixed
  // problem+json, and the detail stays in the log. No Cache-Control of Terminus's own: every
  // response is already `no-store` (SecurityHeaders), one value for every route.
  @HealthCheck({ noCache: false, swaggerDocumentation: false })
  @ApiOkResponse({ description: 'Every dependency answers.', standardSchema: HealthStatusSchema })
  @ApiProblemResponse(
    HttpStatus.SERVICE_UNAVAILABLE,
    'A dependency is down, or the app is shutting down. Which one, and why, is logged only.',
  )
  async ready(): Promise<HealthStatus> {
    const result = await this.health.check([() => this.database.check(), () => this.redis.check()]);
    return { status: result.status };
  }
}
