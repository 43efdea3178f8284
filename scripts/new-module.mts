import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run new:module -- <name>`: a feature module written from the demo's pattern
 * (src/demo/items/), ready to edit. It writes src/<name>/ (module, controller, service, zod
 * schemas, table type, migrations), an e2e spec under test/<name>/, and mounts the module in
 * src/features.ts. Every route declares its security, and the module's first migration takes the
 * next free number across src/ (Kysely runs migrations in name order across all modules and
 * refuses a new one that sorts before one already applied: src/kit/database/migration-set.ts).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const USAGE = `Usage: npm run new:module -- <name>

Writes a feature module from the demo's pattern:
  src/<name>/<name>.module.ts, .controller.ts, .service.ts, .schema.ts, .table.ts,
  .migrations.ts and migrations/<next number>-<name>.ts
  test/<name>/<name>.e2e-spec.ts
and adds the module to FEATURES in src/features.ts.

<name> is kebab-case (lowercase letters and digits, words joined by "-"), e.g. notes or
order-lines. It names the folder, the route (/<name>), the table and the scopes
(<name>:read, <name>:write for people, <name>:sync for API keys).`;

function fail(message: string): never {
  console.error(`new:module: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (args.length !== 1) fail(`expected exactly one module name.\n\n${USAGE}`);
const name = args[0];
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40) {
  fail(
    `"${name}" is not a kebab-case name of at most 40 characters ` +
      '(lowercase letters and digits, words joined by "-", starting with a letter), e.g. order-lines.',
  );
}

const words = name.split('-');
const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
const camel = pascal[0].toLowerCase() + pascal.slice(1);
const snake = words.join('_');
const upper = snake.toUpperCase();

/** Every file under `dir`, relative to the root with `/` separators. */
function filesUnder(dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

const sources = filesUnder('src');
// "Exists already": a folder of that name anywhere in src/ or test/ (the kit's api-keys, the
// demo's items), or a class or route the new files would declare a second time.
const taken = [...sources, ...filesUnder('test')]
  .map((file) => file.split('/').slice(0, -1))
  .map((folders) => folders.slice(0, folders.indexOf(name) + 1).join('/'))
  .find((folder) => folder !== '');
if (taken) fail(`"${name}" exists already (${taken}/); choose another name.`);
const clash = sources.find((file) => {
  if (!file.endsWith('.ts')) return false;
  const text = readFileSync(join(root, file), 'utf8');
  return (
    new RegExp(`class ${pascal}(Module|Controller|Service)\\b`).test(text) ||
    text.includes(`@Controller('${name}')`)
  );
});
if (clash) fail(`"${name}" exists already: ${clash} declares its class or route.`);

const featuresFile = join(root, 'src/features.ts');
const features = readFileSync(featuresFile, 'utf8');
const list = /export const FEATURES: FeatureModules = \[([^\]]*)\];/.exec(features);
if (!list) fail('src/features.ts has no `export const FEATURES: FeatureModules = [...];` line.');

const numbers = sources
  .map((file) => /(?:^|\/)migrations\/(\d{4})-[^/]+\.ts$/.exec(file)?.[1])
  .filter((n) => n !== undefined)
  .map(Number);
const migration = `${String(Math.max(0, ...numbers) + 1).padStart(4, '0')}-${name}`;

const files: Record<string, string> = {
  [`src/${name}/${name}.module.ts`]: `import { Module } from '@nestjs/common';
import { DatabaseModule } from '../kit/database/database.module';
import { ${pascal}Controller } from './${name}.controller';
import { ${camel}Migrations } from './${name}.migrations';
import { ${pascal}Service } from './${name}.service';

/** Mounted by src/features.ts; its migrations run at start with every other module's. */
@Module({
  imports: [DatabaseModule.forFeature({ migrations: ${camel}Migrations })],
  controllers: [${pascal}Controller],
  providers: [${pascal}Service],
})
export class ${pascal}Module {}
`,

  [`src/${name}/${name}.schema.ts`]: `import { z } from 'zod';
import { freeText } from '../kit/security/free-text.schema';

/** The most entries one list call returns; the document says so as maxItems. */
export const ${upper}_PAGE_LIMIT = 100;

export const ${pascal}IdSchema = z.uuid().max(36);

/** What a client sends. Text a person types and others read goes through freeText(). */
export const ${pascal}InputSchema = z
  .strictObject({ text: freeText({ max: 500 }) })
  .meta({ id: '${pascal}Input' });
export type ${pascal}Input = z.infer<typeof ${pascal}InputSchema>;

export const ${pascal}EntrySchema = z
  .strictObject({
    id: ${pascal}IdSchema,
    text: z.string().max(500),
    createdAt: z.iso.datetime().max(40),
  })
  .meta({ id: '${pascal}Entry' });
export type ${pascal}Entry = z.infer<typeof ${pascal}EntrySchema>;

export const ${pascal}EntryListSchema = z.array(${pascal}EntrySchema).max(${upper}_PAGE_LIMIT);
`,

  [`src/${name}/${name}.table.ts`]: `/** A row of ${snake}. Timestamps are ISO-8601 strings: portable across SQLite and PostgreSQL. */
export interface ${pascal}Table {
  id: string;
  text: string;
  created_by: string;
  created_at: string;
}

/**
 * The tables ${pascal}Service queries, for \`Database.$extendTables\`: a type alias, since it
 * takes a record type and only aliases have an implicit index signature.
 */
export type ${pascal}Tables = { ${snake}: ${pascal}Table };
`,

  [`src/${name}/${name}.migrations.ts`]: `import type { Migrations } from '../kit/database/migration-set';
import * as create${pascal} from './migrations/${migration}';

/**
 * The ${snake} table's migrations, under the names Kysely records them by. A new one takes the
 * next number free across src/; never edit or rename one that has run.
 */
export const ${camel}Migrations: Migrations = { '${migration}': create${pascal} };
`,

  [`src/${name}/migrations/${migration}.ts`]: `import { Kysely } from 'kysely';

/** Portable DDL only: the same migration runs on SQLite and PostgreSQL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('${snake}')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('text', 'varchar(500)', (c) => c.notNull())
    .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // The list reads in creation order; \`id\` breaks ties so the order is stable.
  await db.schema
    .createIndex('${snake}_created_at_id')
    .on('${snake}')
    .columns(['created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('${snake}').execute();
}
`,

  [`src/${name}/${name}.service.ts`]: `import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { Database } from '../kit/database/database';
import { ${upper}_PAGE_LIMIT } from './${name}.schema';
import type { ${pascal}Entry, ${pascal}Input } from './${name}.schema';
import type { ${pascal}Table, ${pascal}Tables } from './${name}.table';

@Injectable()
export class ${pascal}Service {
  private readonly db: Kysely<${pascal}Tables>;

  constructor(database: Database) {
    this.db = database.$extendTables<${pascal}Tables>();
  }

  async list(): Promise<${pascal}Entry[]> {
    const rows = await this.db
      .selectFrom('${snake}')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(${upper}_PAGE_LIMIT)
      .execute();
    return rows.map((row) => ${pascal}Service.toEntry(row));
  }

  async create(input: ${pascal}Input, createdBy: string): Promise<${pascal}Entry> {
    const row: ${pascal}Table = {
      id: randomUUID(),
      text: input.text,
      created_by: createdBy,
      created_at: new Date().toISOString(),
    };
    await this.db.insertInto('${snake}').values(row).execute();
    return ${pascal}Service.toEntry(row);
  }

  /** The entry with its new text, or undefined when no entry has this id. */
  async replace(id: string, input: ${pascal}Input): Promise<${pascal}Entry | undefined> {
    const result = await this.db
      .updateTable('${snake}')
      .set({ text: input.text })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return undefined;
    const row = await this.db
      .selectFrom('${snake}')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return ${pascal}Service.toEntry(row);
  }

  private static toEntry(row: ${pascal}Table): ${pascal}Entry {
    return { id: row.id, text: row.text, createdAt: row.created_at };
  }
}
`,

  [`src/${name}/${name}.controller.ts`]: `import { Body, Controller, Get, HttpStatus, Param, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../kit/auth/current-principal.decorator';
import type { Principal } from '../kit/auth/principal';
import { ApiKeyAuth, JwtAuth } from '../kit/auth/route-security.decorator';
import { ApiProblemResponse } from '../kit/openapi/api-problem-response.decorator';
import { ProblemException } from '../kit/security/problem.exception';
import {
  ${pascal}EntryListSchema,
  ${pascal}EntrySchema,
  ${pascal}IdSchema,
  ${pascal}InputSchema,
} from './${name}.schema';
import type { ${pascal}Entry, ${pascal}Input } from './${name}.schema';
import { ${pascal}Service } from './${name}.service';

// This module's access-log reason codes: declared, so a misspelt one does not compile
// (src/kit/security/access-reason.ts).
declare module '../kit/security/access-reason' {
  interface ApplicationReasons {
    ${snake}_entry_not_found: true;
  }
}

/**
 * Every route declares its security (the app refuses to start otherwise): people with a JWT
 * read and add entries, a machine with an API key replaces an entry's text.
 */
@ApiTags('${name}')
@Controller('${name}')
export class ${pascal}Controller {
  constructor(private readonly service: ${pascal}Service) {}

  @Get()
  @JwtAuth('${name}:read')
  @ApiOkResponse({ description: 'The entries, oldest first.', standardSchema: ${pascal}EntryListSchema })
  list(): Promise<${pascal}Entry[]> {
    return this.service.list();
  }

  @Post()
  @JwtAuth('${name}:write')
  @ApiCreatedResponse({ description: 'The new entry.', standardSchema: ${pascal}EntrySchema })
  create(
    @Body({ schema: ${pascal}InputSchema }) input: ${pascal}Input,
    @CurrentPrincipal() principal: Principal,
  ): Promise<${pascal}Entry> {
    return this.service.create(input, principal.subject);
  }

  @Put(':id')
  @ApiKeyAuth('${name}:sync')
  @ApiOkResponse({ description: 'The entry with its new text.', standardSchema: ${pascal}EntrySchema })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No entry has this id.')
  async replace(
    @Param('id', { schema: ${pascal}IdSchema }) id: string,
    @Body({ schema: ${pascal}InputSchema }) input: ${pascal}Input,
  ): Promise<${pascal}Entry> {
    const entry = await this.service.replace(id, input);
    if (!entry) {
      throw new ProblemException(HttpStatus.NOT_FOUND, { reason: '${snake}_entry_not_found' });
    }
    return entry;
  }
}
`,

  [`test/${name}/${name}.e2e-spec.ts`]: `import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { ${pascal}Module } from '../../src/${name}/${name}.module';
import { closeStarted } from '../support/cleanup';
import { startTestApp, TestApp } from '../support/test-app';
import { TokenFactory } from '../support/tokens';

/**
 * The ${name} routes in the real app: each answers its 2xx with the credential and scope it
 * declares, 401 without a credential and 403 without the scope.
 */
describe('${pascal}Controller', () => {
  const tokens = new TokenFactory();
  const bearer = (scope: string): string => \`Bearer \${tokens.rs256({ scope })}\`;
  let app: TestApp;

  beforeAll(async () => {
    // A second key scope, so that a key without ${name}:sync can be made.
    const env = { ...tokens.env(), API_KEY_ALLOWED_SCOPES: '${name}:sync,${name}:other' };
    app = await startTestApp(env, [${pascal}Module]);
  });
  afterAll(() => closeStarted(app));

  async function create(text: string): Promise<{ id: string }> {
    const res = await request(app.url)
      .post('/${name}')
      .set('Authorization', bearer('${name}:write'))
      .send({ text });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  }

  async function apiKey(scope: string): Promise<string> {
    const res = await request(app.url)
      .post('/api-keys')
      .set('Authorization', bearer('api-keys:admin'))
      .send({ name: '${name}-test', scopes: [scope] });
    expect(res.status).toBe(201);
    return (res.body as { key: string }).key;
  }

  it('when an entry is created with ${name}:write, it is listed with ${name}:read', async () => {
    const { id } = await create('  first  ');
    const res = await request(app.url).get('/${name}').set('Authorization', bearer('${name}:read'));
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual(expect.objectContaining({ id, text: 'first' }));
  });

  it('when a key with ${name}:sync replaces the text, the list shows it', async () => {
    const { id } = await create('before');
    const res = await request(app.url)
      .put(\`/${name}/\${id}\`)
      .set('X-API-Key', await apiKey('${name}:sync'))
      .send({ text: 'after' });
    expect(res.status).toBe(200);
    const list = await request(app.url).get('/${name}').set('Authorization', bearer('${name}:read'));
    expect(list.body).toContainEqual(expect.objectContaining({ id, text: 'after' }));
  });

  it('when the id names no entry, 404 problem+json', async () => {
    const res = await request(app.url)
      .put('/${name}/00000000-0000-4000-8000-000000000000')
      .set('X-API-Key', await apiKey('${name}:sync'))
      .send({ text: 'after' });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\\/problem\\+json/);
  });

  it('when the text is shaped like a secret, 400 names the field and the rule', async () => {
    const res = await request(app.url)
      .post('/${name}')
      .set('Authorization', bearer('${name}:write'))
      .send({ text: TokenFactory.signHs(randomBytes(32), { alg: 'HS256' }, { sub: 'a' }) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errors: [{ field: 'text', rule: 'secret_shaped' }] });
  });

  it.each([
    ['get', '/${name}'],
    ['post', '/${name}'],
    ['put', '/${name}/00000000-0000-4000-8000-000000000000'],
  ] as const)('when %s %s has no credential, 401', async (method, path) => {
    const res = await request(app.url)[method](path).send({ text: 'x' });
    expect(res.status).toBe(401);
  });

  it.each([
    ['get', '${name}:write'],
    ['post', '${name}:read'],
  ] as const)('when %s /${name} has a token with only %s, 403', async (method, scope) => {
    const call = request(app.url)[method]('/${name}');
    const res = await call.set('Authorization', bearer(scope)).send({ text: 'x' });
    expect(res.status).toBe(403);
  });

  it('when the key lacks ${name}:sync, PUT answers 403', async () => {
    const { id } = await create('kept');
    const res = await request(app.url)
      .put(\`/${name}/\${id}\`)
      .set('X-API-Key', await apiKey('${name}:other'))
      .send({ text: 'after' });
    expect(res.status).toBe(403);
  });
});
`,
};

// Mount the module: its import after the last import, its class at the end of FEATURES.
const importLine = `import { ${pascal}Module } from './${name}/${name}.module';`;
const lastImport = [...features.matchAll(/^import [^;]*;\n/gm)].at(-1);
const afterImports = lastImport ? lastImport.index + lastImport[0].length : 0;
const mounted = [
  ...list[1]
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean),
  `${pascal}Module`,
];
files['src/features.ts'] = (
  features.slice(0, afterImports) +
  `${importLine}\n` +
  features.slice(afterImports)
).replace(list[0], `export const FEATURES: FeatureModules = [${mounted.join(', ')}];`);

// Prettier (a devDependency) formats the output, so lines that grow with a long name stay
// within the repository's style and `npm run lint` passes.
const prettier = await import('prettier');
for (const [file, text] of Object.entries(files)) {
  const path = join(root, file);
  const options = await prettier.resolveConfig(path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await prettier.format(text, { ...options, filepath: path }));
}

console.log(`new:module: wrote ${Object.keys(files).length - 1} files and mounted ${pascal}Module in src/features.ts:
${Object.keys(files)
  .filter((f) => f !== 'src/features.ts')
  .map((f) => `  ${f}`)
  .join('\n')}
Next: rename the fields in src/${name}/${name}.schema.ts, .table.ts and the migration together,
then run: npm run lint && npm run typecheck && npm test`);
