import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { BenchItemsModule } from './bench-items.controller';

/** Scenario 1, the yardstick: a bare Nest 12 app on Express, the same routes, no security. */
@Module({ imports: [BenchItemsModule] })
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(BaselineModule, { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
