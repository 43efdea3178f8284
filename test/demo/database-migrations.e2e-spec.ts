import { DemoModule } from '../../src/demo/demo.module';
import { Database } from '../../src/kit/database/database';
import { startTestApp } from '../support/test-app';
import { TokenFactory } from '../support/tokens';

/** The demo owns its table: mounting its module is what creates `items` (src/demo/items/migrations). */
describe('Demo migrations', () => {
  const tokens = new TokenFactory();

  it('when the demo is mounted, its module registers the items migrations', async () => {
    const app = await startTestApp(tokens.env(), [DemoModule]);
    try {
      const metadata = await app.app.get(Database).introspection.getTables();
      expect(metadata.map((table) => table.name).sort()).toEqual(['api_keys', 'items']);
    } finally {
      await app.close();
    }
  });
});
