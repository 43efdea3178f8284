import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../kit/database/database.module';
import { DownstreamModule } from '../../kit/downstream/downstream.module';
import { ItemsController } from './items.controller';
import { ItemsService } from './items.service';

@Module({
  imports: [DatabaseModule, DownstreamModule],
  controllers: [ItemsController],
  providers: [ItemsService],
})
export class ItemsModule {}
