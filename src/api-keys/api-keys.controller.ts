import { Body, Controller, Get, Header, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { JwtAuth } from '../auth/route-security.decorator';
import { ApiProblemResponse } from '../openapi/api-problem-response.decorator';
import { ProblemException } from '../security/problem.exception';
import { ApiKeyStateError } from './api-key-state.error';
import {
  ApiKeyIdSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  RotateApiKeySchema,
  RotatedApiKeySchema,
} from './api-key.schema';
import type {
  ApiKeyMetadata,
  CreateApiKey,
  CreatedApiKey,
  RotateApiKey,
  RotatedApiKey,
} from './api-key.schema';
import { ApiKeysService } from './api-keys.service';

/**
 * Key administration for people: a JWT with `api-keys:admin`. Never an API key: a leaked key
 * must not be able to mint or revive keys. The plaintext appears in the create and rotate
 * responses only, marked `Cache-Control: no-store` (ASVS 14.3.2, checklist K2).
 */
@ApiTags('api-keys')
@JwtAuth('api-keys:admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    description: 'The new key; `key` is its plaintext, shown in this response only.',
    standardSchema: CreatedApiKeySchema,
  })
  create(
    @Body({ schema: CreateApiKeySchema }) input: CreateApiKey,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedApiKey> {
    return this.keys.create(input, principal.subject);
  }

  @Get()
  @ApiOkResponse({ description: 'Every key, metadata only.', standardSchema: ApiKeyListSchema })
  list(): Promise<ApiKeyMetadata[]> {
    return this.keys.list();
  }

  @Get(':id')
  @ApiOkResponse({ description: 'The key, metadata only.', standardSchema: ApiKeySchema })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No key has this id.')
  get(@Param('id', { schema: ApiKeyIdSchema }) id: string): Promise<ApiKeyMetadata> {
    return ApiKeysController.answer(this.keys.get(id));
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'The revoked key, metadata only.', standardSchema: ApiKeySchema })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No key has this id.')
  revoke(
    @Param('id', { schema: ApiKeyIdSchema }) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiKeyMetadata> {
    return ApiKeysController.answer(this.keys.revoke(id, principal.subject));
  }

  @Post(':id/rotate')
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    description: 'The successor key (plaintext shown once) and the old key, valid for the overlap.',
    standardSchema: RotatedApiKeySchema,
  })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No key has this id.')
  @ApiProblemResponse(HttpStatus.CONFLICT, 'The key is not active, or was rotated already.', {
    detail: 'Only an active key can be rotated.',
  })
  rotate(
    @Param('id', { schema: ApiKeyIdSchema }) id: string,
    @Body({ schema: RotateApiKeySchema }) input: RotateApiKey,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RotatedApiKey> {
    return ApiKeysController.answer(this.keys.rotate(id, input, principal.subject));
  }

  /** Lifecycle refusals become 404 or 409 problem+json with a fixed detail. */
  private static async answer<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (!(error instanceof ApiKeyStateError)) throw error;
      if (error.code === 'not_found') {
        throw new ProblemException(HttpStatus.NOT_FOUND, { reason: 'api_key_not_found' });
      }
      throw new ProblemException(HttpStatus.CONFLICT, {
        reason: `api_key_${error.code}`,
        detail:
          error.code === 'already_rotated'
            ? 'This key has been rotated already; rotate its successor.'
            : 'Only an active key can be rotated.',
      });
    }
  }
}
