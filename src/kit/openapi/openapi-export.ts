import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AppModule } from '../../app.module';
import { AppConfig } from '../config/app-config';
import { OpenApiDocument } from './openapi-document';
import { DemoModule } from '../../demo/demo.module';

/**
 * Writes the OpenAPI document to a file without serving anything: the app is created and
 * initialised (routes mapped, boot audit run) but never listens. It runs on the embedded
 * defaults, with development keys generated into a throwaway folder, and reads nothing from
 * the environment: the document depends on the code only, and no deployment secret can reach
 * the file.
 */
export class OpenApiExport {
  static async write(path: string): Promise<OpenAPIObject> {
    const keys = mkdtempSync(join(tmpdir(), 'leakproof-openapi-'));
    try {
      const config = AppConfig.fromEnv({
        NODE_ENV: 'development',
        DATABASE_URL: ':memory:',
        DEV_KEYS_DIR: keys,
        LOG_LEVEL: 'silent',
      });
      const app = await NestFactory.create<NestExpressApplication>(
        AppModule.forRoot(config, [DemoModule]),
        {
          bodyParser: false,
          logger: false,
        },
      );
      try {
        await app.init();
        const document = OpenApiDocument.build(app);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
        return document;
      } finally {
        await app.close();
      }
    } finally {
      rmSync(keys, { recursive: true, force: true });
    }
  }
}
