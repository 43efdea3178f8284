import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '../config/app-config';
import { RedactionModule } from '../security/redaction.module';
import { Redactor } from '../security/redactor';
import { LogDestination } from './log-destination';
import { LogOptions } from './log-options';

/**
 * Structured logging through nestjs-pino; `destination` lets tests capture the stream. Without
 * one, logs go to standard output through LogDestination: synchronous writes, in 4 KiB chunks
 * while serving and line by line from the first shutdown hook; a failed write is dropped, never
 * thrown.
 */
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    const sink = destination ?? new LogDestination();
    return {
      module: LoggingModule,
      // A provider, so that Nest calls its shutdown hooks.
      providers:
        sink instanceof LogDestination ? [{ provide: LogDestination, useFactory: () => sink }] : [],
      imports: [
        LoggerModule.forRootAsync({
          imports: [RedactionModule],
          inject: [AppConfig, Redactor],
          useFactory: async (config: AppConfig, redactor: Redactor) => {
            // A capture stream a test passes keeps pino's JSON, whatever the format.
            if (sink instanceof LogDestination) await sink.useFormat(config.log.format);
            const options = LogOptions.build(config, redactor);
            // nestjs-pino serves the app logger only: the access line is AccessLogMiddleware's,
            // so pino-http's middleware (a child logger per request) is mounted on no route.
            return { pinoHttp: [options, sink], forRoutes: [] };
          },
        }),
      ],
    };
  }
}
