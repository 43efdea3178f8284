import { Database } from '../src/kit/database/database';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

async function tables(app: TestApp): Promise<string[]> {
  const metadata = await app.app.get(Database).introspection.getTables();
  return metadata.map((table) => table.name).sort();
}

/**
 * Each module registers its own migrations: the kit's run on a fresh database without the demo,
 * which is what an adopter who removed `src/demo` starts from (the demo's own table is proven in
 * test/demo/database-migrations.e2e-spec.ts).
 */
describe('Database migrations', () => {
  const tokens = new TokenFactory();

  it('when the app has no feature module, a fresh database gets the kit tables and no demo table', async () => {
    const app = await startTestApp(tokens.env(), []);
    try {
      expect(await tables(app)).toEqual(['api_keys']);
    } finally {
      await app.close();
    }
  });
});
