import { Body, Controller, Get, HttpStatus, Param, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../kit/auth/current-principal.decorator';
import type { Principal } from '../../kit/auth/principal';
import { ApiKeyAuth, JwtAuth } from '../../kit/auth/route-security.decorator';
import { ApiProblemResponse } from '../../kit/openapi/api-problem-response.decorator';
import { ProblemException } from '../../kit/security/problem.exception';
import {
  CreateItemSchema,
  ItemIdSchema,
  ItemListSchema,
  ItemSchema,
  StockUpdateSchema,
} from './item.schema';
import type { CreateItem, Item, StockUpdate } from './item.schema';
import { ItemsService } from './items.service';
import { StockLevelSchema } from './stock-level.schema';
import type { StockLevel } from './stock-level.schema';

/** The demo resource: people with a JWT read and write items; machines with a key set stock. */
@ApiTags('items')
@Controller('items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get()
  @JwtAuth('items:read')
  @ApiOkResponse({ description: 'The items, oldest first.', standardSchema: ItemListSchema })
  list(): Promise<Item[]> {
    return this.items.list();
  }

  @Get(':id')
  @JwtAuth('items:read')
  @ApiOkResponse({ description: 'The item.', standardSchema: ItemSchema })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No item has this id.')
  async get(@Param('id', { schema: ItemIdSchema }) id: string): Promise<Item> {
    const item = await this.items.find(id);
    if (!item) throw new ProblemException(HttpStatus.NOT_FOUND, { reason: 'item_not_found' });
    return item;
  }

  /** Asks the downstream inventory service; see src/kit/downstream/downstream.client.ts. */
  @Get(':id/stock-level')
  @JwtAuth('items:read')
  @ApiOkResponse({
    description: 'The stock the inventory service reports.',
    standardSchema: StockLevelSchema,
  })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No item has this id.')
  @ApiProblemResponse(
    HttpStatus.BAD_GATEWAY,
    'The inventory service answered with an error or an invalid body.',
  )
  @ApiProblemResponse(
    HttpStatus.SERVICE_UNAVAILABLE,
    'The inventory service is not configured or not reachable.',
  )
  @ApiProblemResponse(HttpStatus.GATEWAY_TIMEOUT, 'The inventory service did not answer in time.')
  async stockLevel(@Param('id', { schema: ItemIdSchema }) id: string): Promise<StockLevel> {
    const level = await this.items.stockLevel(id);
    if (!level) throw new ProblemException(HttpStatus.NOT_FOUND, { reason: 'item_not_found' });
    return level;
  }

  @Post()
  @JwtAuth('items:write')
  @ApiCreatedResponse({ description: 'The new item.', standardSchema: ItemSchema })
  create(
    @Body({ schema: CreateItemSchema }) input: CreateItem,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Item> {
    return this.items.create(input, principal.subject);
  }

  /** The machine route: a warehouse system sets the stock count with an API key. */
  @Put(':id/stock')
  @ApiKeyAuth('stock:write')
  @ApiOkResponse({ description: 'The item with its new stock.', standardSchema: ItemSchema })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No item has this id.')
  async setStock(
    @Param('id', { schema: ItemIdSchema }) id: string,
    @Body({ schema: StockUpdateSchema }) input: StockUpdate,
  ): Promise<Item> {
    const item = await this.items.setStock(id, input.stock);
    if (!item) throw new ProblemException(HttpStatus.NOT_FOUND, { reason: 'item_not_found' });
    return item;
  }
}
