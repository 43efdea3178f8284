import type { OpenAPIObject } from '@nestjs/swagger';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FeatureModules } from '../../app.module';
import { AppFactory } from '../app.factory';
import { AppConfig } from '../config/app-config';
import { OpenApiDocument } from './openapi-document';

/**
 * Writes the OpenAPI document of the app made of the kit and `features` to a file without
 * serving anything: the app is built by AppFactory, as in production, and
 * initialised (routes mapped, boot audit run) but never listens. It runs on the embedded
 * defaults, with development keys generated into a throwaway folder, and reads nothing from
 * the environment: the document depends on the code only, and no deployment secret can reach
 * the file.
 */
export class OpenApiExport {
  static async write(path: string, features: FeatureModules): Promise<OpenAPIObject> {
    const keys = mkdtempSync(join(tmpdir(), 'leakproof-openapi-'));
    try {
      const config = AppConfig.fromEnv({
        NODE_ENV: 'development',
        DATABASE_URL: ':memory:',
        DEV_KEYS_DIR: keys,
        LOG_LEVEL: 'silent',
      });
      const app = await AppFactory.create(config, features, {
        logDestination: { write: () => undefined },
        shutdownSignals: false,
      });
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
