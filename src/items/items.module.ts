import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { OutboundModule } from '../outbound/outbound.module';
import { ItemsController } from './items.controller';
import { ItemsService } from './items.service';

@Module({
  imports: [DatabaseModule, OutboundModule],
  controllers: [ItemsController],
  providers: [ItemsService],
})
export class ItemsModule {}
