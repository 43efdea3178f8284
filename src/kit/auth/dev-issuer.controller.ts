import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DevIssuer } from './dev-issuer';
import { Public } from './route-security.decorator';

/** Publishes the development issuer's public key; registered only when that issuer is on. */
@ApiExcludeController()
@Public()
@Controller('.well-known')
export class DevIssuerController {
  constructor(private readonly issuer: DevIssuer) {}

  @Get('jwks.json')
  jwks(): { keys: Record<string, unknown>[] } {
    return this.issuer.jwks();
  }
}
