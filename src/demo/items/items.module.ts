import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../kit/database/database.module';
import { DownstreamModule } from '../../kit/downstream/downstream.module';
import { ItemsController } from './items.controller';
import { itemsMigrations } from './items.migrations';
import { ItemsService } from './items.service';

@Module({
  imports: [DatabaseModule.forFeature({ migrations: itemsMigrations }), DownstreamModule],
  controllers: [ItemsController],
  providers: [ItemsService],
})
export class ItemsModule {}
