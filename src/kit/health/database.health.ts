import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { sql } from 'kysely';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Database } from '../database/database';
import { Redactor } from '../security/redactor';

/**
 * Database readiness. Security: terminus puts each indicator's error message in the 503 body
 * by default: driver errors with hosts and credentials (docs/threat-model.md, section 6). Here
 * the failure detail goes to the log, redacted, and the indicator reports only `down`.
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly db: Database,
    private readonly health: HealthIndicatorService,
    private readonly redactor: Redactor,
    @InjectPinoLogger('DatabaseHealthIndicator') private readonly logger: PinoLogger,
  ) {}

  async check(): Promise<HealthIndicatorResult<'database'>> {
    const session = this.health.check('database');
    try {
      await sql`select 1`.execute(this.db);
      return session.up();
    } catch (error) {
      this.logger.error({ err: this.redactor.summarize(error) }, 'database readiness check failed');
      return session.down();
    }
  }
}
