import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Redactor } from './redactor';

/**
 * For unit specs: the redaction core over a test configuration whose secrets are generated
 * here, with the downstream key (and, when given, the JWT secret) the spec knows and plants.
 * Not part of the build (tsconfig.build.json).
 */
export function specRedactor(
  downstreamKey: string,
  jwtSecret = randomBytes(32).toString('base64url'),
): Redactor {
  return new Redactor(
    AppConfig.fromEnv({
      NODE_ENV: 'test',
      DATABASE_URL: ':memory:',
      JWT_SECRET: jwtSecret,
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
      DOWNSTREAM_BASE_URL: 'http://127.0.0.1:9',
      DOWNSTREAM_API_KEY: downstreamKey,
    }),
    null,
  );
}
