import { Controller, Get } from '@nestjs/common';

/**
 * The route every comparison app serves: `GET /items` answering the JSON body the harness read
 * from Leakproof's own `GET /items` (about 100 bytes), serialized per request as Nest does.
 */
@Controller('items')
export class BenchItemsController {
  private readonly body: unknown = JSON.parse(process.env.BENCH_BODY ?? '[]');

  @Get()
  list(): unknown {
    return this.body;
  }
}
