import { Body, Controller, Get, Module, NotFoundException, Param, Put } from '@nestjs/common';
import { BenchItemsStore, type BenchItem } from './bench-items.store';

/**
 * The routes every comparison app serves, with no security: `GET /items`, answering the body
 * Leakproof's own `GET /items` answered (about 100 bytes) by the same database read
 * (BenchItemsStore), and `PUT /items/:id/stock`, the same UPDATE and read-back as Leakproof's
 * API-key route. Nest serializes each answer per request, as it does for Leakproof.
 */
@Controller('items')
export class BenchItemsController {
  constructor(private readonly store: BenchItemsStore) {}

  @Get()
  list(): Promise<BenchItem[]> {
    return this.store.list();
  }

  @Put(':id/stock')
  async setStock(@Param('id') id: string, @Body() body: { stock: number }): Promise<BenchItem> {
    const item = await this.store.setStock(id, body.stock);
    if (!item) throw new NotFoundException();
    return item;
  }
}

@Module({
  controllers: [BenchItemsController],
  providers: [{ provide: BenchItemsStore, useFactory: () => BenchItemsStore.open() }],
})
export class BenchItemsModule {}
