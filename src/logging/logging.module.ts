import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '../config/app-config';
import { RedactionModule } from '../security/redaction.module';
import { Redactor } from '../security/redactor';
import { LogOptions } from './log-options';

/** Structured logging through nestjs-pino; `destination` lets tests capture the stream. */
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          imports: [RedactionModule],
          inject: [AppConfig, Redactor],
          useFactory: (config: AppConfig, redactor: Redactor) => {
            const options = LogOptions.build(config, redactor);
            return { pinoHttp: destination ? [options, destination] : options };
          },
        }),
      ],
    };
  }
}
