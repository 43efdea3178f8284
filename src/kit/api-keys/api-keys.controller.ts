import { Body, Controller, Get, Header, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { JwtAuth } from '../auth/route-security.decorator';
import { ApiProblemResponse } from '../openapi/api-problem-response.decorator';
import { ProblemException } from '../security/problem.exception';
import { ApiKeyScopeError, SCOPE_NOT_ALLOWED } from './api-key-scope.policy';
import { ApiKeyStateError } from './api-key-state.error';
import type { ApiKeyStateCode } from './api-key-state.error';
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

/** The access-log reasons of the key administration API's refusals. */
export type ApiKeyAdminReason = 'api_key_scope_not_allowed' | `api_key_${ApiKeyStateCode}`;

/**
 * Key administration for people: a JWT with `api-keys:admin`. Never an API key: a leaked key
 * must not be able to mint or revive keys. The plaintext appears in the create and rotate
 * responses only, marked `Cache-Control: no-store` (ASVS 14.3.2). Keys carry only the scopes
 * the ApiKeyScopePolicy allows; any other is a 400 naming `scopes` and `scope_not_allowed`.
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
    return ApiKeysController.answer(this.keys.create(input, principal.subject), true);
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
  @ApiProblemResponse(
    HttpStatus.CONFLICT,
    'The key is not active, was rotated already, or carries a scope keys may no longer have.',
    { detail: 'Only an active key can be rotated.' },
  )
  rotate(
    @Param('id', { schema: ApiKeyIdSchema }) id: string,
    @Body({ schema: RotateApiKeySchema }) input: RotateApiKey,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RotatedApiKey> {
    return ApiKeysController.answer(this.keys.rotate(id, input, principal.subject));
  }

  /**
   * Lifecycle refusals become 404 or 409 problem+json with a fixed detail. A scope refusal is a
   * 400 naming the field and the rule when the request asked for the scope (create), a 409 when
   * the stored key carries it (rotate); never the scope itself.
   */
  private static async answer<T>(work: Promise<T>, scopesFromRequest = false): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (error instanceof ApiKeyScopeError) {
        if (scopesFromRequest) {
          throw new ProblemException(HttpStatus.BAD_REQUEST, {
            reason: 'api_key_scope_not_allowed',
            detail: 'API keys may carry only the scopes this service allows them.',
            errors: [{ field: 'scopes', rule: SCOPE_NOT_ALLOWED }],
          });
        }
        throw new ProblemException(HttpStatus.CONFLICT, {
          reason: 'api_key_scope_not_allowed',
          detail:
            'This key carries a scope API keys may no longer have; revoke it and create a new key.',
        });
      }
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
