import { Body, Controller, Get, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { JwtAuth } from '../auth/route-security.decorator';
import { ProblemException } from '../security/problem.exception';
import { CreateItemSchema, ItemIdSchema } from './item.schema';
import type { CreateItem, Item } from './item.schema';
import { ItemsService } from './items.service';
import type { StockLevel } from './stock-level.schema';

/** The demo resource: people with a JWT read and write items. */
@ApiTags('items')
@Controller('items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get()
  @JwtAuth('items:read')
  list(): Promise<Item[]> {
    return this.items.list();
  }

  @Get(':id')
  @JwtAuth('items:read')
  async get(@Param('id', { schema: ItemIdSchema }) id: string): Promise<Item> {
    const item = await this.items.find(id);
    if (!item) throw new ProblemException(HttpStatus.NOT_FOUND, { reason: 'item_not_found' });
    return item;
  }

  /** Asks the downstream inventory service; see src/outbound/downstream.client.ts. */
  @Get(':id/stock-level')
  @JwtAuth('items:read')
  async stockLevel(@Param('id', { schema: ItemIdSchema }) id: string): Promise<StockLevel> {
    const level = await this.items.stockLevel(id);
    if (!level) throw new ProblemException(HttpStatus.NOT_FOUND, { reason: 'item_not_found' });
    return level;
  }

  @Post()
  @JwtAuth('items:write')
  create(
    @Body({ schema: CreateItemSchema }) input: CreateItem,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Item> {
    return this.items.create(input, principal.subject);
  }
}
