import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject, ResponseObject } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyAuth, JwtAuth, Public } from '../auth/route-security.decorator';

const Input = z.strictObject({ name: z.string().max(10) });

@Public()
@Controller('open')
class OpenController {
  @Get()
  list(): string[] {
    return [];
  }

  @Get(':id')
  get(@Param('id') id: string): string {
    return id;
  }
}

@Controller('guarded')
class GuardedController {
  @Get()
  @JwtAuth()
  anyToken(@Query('q') q: string): string {
    return q;
  }

  @Post()
  @JwtAuth('things:write')
  create(@Body({ schema: Input }) input: z.infer<typeof Input>): string {
    return input.name;
  }

  @Post('machine')
  @ApiKeyAuth('things:write')
  machine(): string {
    return '';
  }
}

async function document(): Promise<OpenAPIObject> {
  const moduleRef = await Test.createTestingModule({
    controllers: [OpenController, GuardedController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  try {
    return SwaggerModule.createDocument(app, new DocumentBuilder().build());
  } finally {
    await app.close();
  }
}

describe('ApiErrorResponses', () => {
  let doc: OpenAPIObject;
  const statuses = (path: string, method: 'get' | 'post'): string[] =>
    Object.keys(doc.paths[path][method]?.responses ?? {})
      .filter((s) => Number(s) >= 400)
      .sort();

  beforeAll(async () => {
    doc = await document();
  });

  it('when a controller is public, its handlers document no 401, and 400 (two credentials) even without input', () => {
    expect(statuses('/open', 'get')).toEqual(['400', '429', '500']);
    expect(statuses('/open/{id}', 'get')).toEqual(['400', '429', '500']);
    const without = doc.paths['/open'].get?.responses['400'] as ResponseObject;
    const withInput = doc.paths['/open/{id}'].get?.responses['400'] as ResponseObject;
    expect(without.description).toContain('more than one credential');
    expect(without.description).not.toContain('schema');
    expect(withInput.description).toContain('schema');
    expect(withInput.description).toContain('more than one credential');
  });

  it('when a JWT route requires no scope, it documents 401 but no 403', () => {
    expect(statuses('/guarded', 'get')).toEqual(['400', '401', '429', '500']);
  });

  it('when a route requires scopes, it documents 403 naming them', () => {
    expect(statuses('/guarded', 'post')).toEqual(['400', '401', '403', '429', '500']);
    const forbidden = doc.paths['/guarded'].post?.responses['403'] as ResponseObject;
    expect(forbidden.description).toContain('things:write');
  });

  it('when a route takes an API key, its challenge is ApiKey, not Bearer', () => {
    expect(statuses('/guarded/machine', 'post')).toEqual(['400', '401', '403', '429', '500']);
    const unauthorized = doc.paths['/guarded/machine'].post?.responses['401'] as ResponseObject;
    expect(JSON.stringify(unauthorized.headers)).toContain('ApiKey realm=');
    expect(JSON.stringify(unauthorized.headers)).not.toContain('Bearer');
  });
});
