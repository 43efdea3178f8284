import 'reflect-metadata';
import {
  CanActivate,
  DynamicModule,
  ExecutionContext,
  Injectable,
  Module,
  Provider,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { verify, type JwtPayload } from 'jsonwebtoken';
import { Logger, LoggerModule } from 'nestjs-pino';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { BenchItemsModule } from './bench-items.controller';

/**
 * Scenario 2, "the typical stack": the baseline plus what most NestJS tutorials and starters
 * ship — passport-jwt with the public key as a PEM string, and nestjs-pino with its defaults
 * (pino-http's standard serializers: every request logs its headers). BENCH_STACK picks a
 * variant; the diagnostic ones split the cost between passport, jsonwebtoken's key parsing and
 * logging.
 */
type Stack = 'typical' | 'pino-only' | 'passport-pem' | 'passport-keyobject' | 'guard-keyobject';

const stack = (process.env.BENCH_STACK ?? 'typical') as Stack;
const pem = process.env.BENCH_JWT_PUBLIC_KEY ?? '';
const issuer = process.env.BENCH_JWT_ISSUER ?? '';
const audience = process.env.BENCH_JWT_AUDIENCE ?? '';

@Injectable()
class TypicalJwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // What most apps do: the PEM string straight from the environment.
      secretOrKey: stack === 'passport-keyobject' ? (createPublicKey(pem) as never) : pem,
      algorithms: ['RS256'],
      issuer,
      audience,
    });
  }

  validate(payload: JwtPayload): { userId: unknown; scope: unknown } {
    return { userId: payload.sub, scope: payload.scope };
  }
}

/** passport left out: the same jsonwebtoken verification in a plain Nest guard. */
@Injectable()
class PlainJwtGuard implements CanActivate {
  private readonly key: KeyObject = createPublicKey(pem);

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { user?: unknown }>();
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) throw new UnauthorizedException();
    try {
      req.user = verify(header.slice(7), this.key, { algorithms: ['RS256'], issuer, audience });
    } catch {
      throw new UnauthorizedException();
    }
    return true;
  }
}

@Module({})
class TypicalStackModule {
  static forStack(which: Stack): DynamicModule {
    const imports: DynamicModule['imports'] = [BenchItemsModule];
    const providers: Provider[] = [];
    if (which === 'typical' || which === 'pino-only') imports.push(LoggerModule.forRoot());
    if (which === 'typical' || which === 'passport-pem' || which === 'passport-keyobject') {
      imports.push(PassportModule);
      providers.push(TypicalJwtStrategy, { provide: APP_GUARD, useClass: AuthGuard('jwt') });
    }
    if (which === 'guard-keyobject')
      providers.push({ provide: APP_GUARD, useClass: PlainJwtGuard });
    return {
      module: TypicalStackModule,
      imports,
      providers,
    };
  }
}

async function main(): Promise<void> {
  const logging = stack === 'typical' || stack === 'pino-only';
  const app = await NestFactory.create<NestExpressApplication>(
    TypicalStackModule.forStack(stack),
    logging ? { bufferLogs: true } : { logger: false },
  );
  if (logging) app.useLogger(app.get(Logger));
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
