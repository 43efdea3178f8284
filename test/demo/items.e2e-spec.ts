import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DemoModule } from '../../src/demo/demo.module';
import { CaptureServer } from '../support/capture-server';
import { closeStarted } from '../support/cleanup';
import { startTestApp, TestApp } from '../support/test-app';
import { TokenFactory } from '../support/tokens';

/**
 * The demo domain itself: people with a JWT create and read items, a machine with an API key
 * sets their stock, and the stock level comes from the downstream inventory service.
 */
describe('Demo items', () => {
  const tokens = new TokenFactory();
  const inventory = new CaptureServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"available":7}');
  });
  let app: TestApp;
  const reader = (): string => `Bearer ${tokens.rs256({ scope: 'items:read' })}`;
  const writer = (): string => `Bearer ${tokens.rs256({ scope: 'items:write' })}`;

  beforeAll(async () => {
    const inventoryUrl = await inventory.start();
    app = await startTestApp(
      {
        ...tokens.env(),
        DOWNSTREAM_BASE_URL: inventoryUrl,
        DOWNSTREAM_API_KEY: randomBytes(24).toString('hex'),
      },
      [DemoModule],
    );
  });
  afterAll(() => closeStarted(app, { close: () => inventory.stop() }));

  async function createItem(name: string, stock?: number): Promise<{ id: string }> {
    const res = await request(app.url)
      .post('/items')
      .set('Authorization', writer())
      .send(stock === undefined ? { name } : { name, stock });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  }

  it('when an item is created, it is read back by id and listed', async () => {
    const { id } = await createItem('  pallet  ', 3);
    const one = await request(app.url).get(`/items/${id}`).set('Authorization', reader());
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, name: 'pallet', stock: 3 });
    const all = await request(app.url).get('/items').set('Authorization', reader());
    expect((all.body as { id: string }[]).map((item) => item.id)).toContain(id);
  });

  it('when no stock is given, the item starts with 0', async () => {
    const { id } = await createItem('crate');
    const res = await request(app.url).get(`/items/${id}`).set('Authorization', reader());
    expect((res.body as { stock: number }).stock).toBe(0);
  });

  it('when the item does not exist, 404 problem+json', async () => {
    const res = await request(app.url)
      .get('/items/00000000-0000-4000-8000-000000000000')
      .set('Authorization', reader());
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('when a warehouse key sets the stock, the item carries it', async () => {
    const { id } = await createItem('bin', 1);
    const created = await request(app.url)
      .post('/api-keys')
      .set('Authorization', `Bearer ${tokens.rs256({ scope: 'api-keys:admin' })}`)
      .send({ name: 'warehouse', scopes: ['stock:write'] });
    expect(created.status).toBe(201);
    const { key } = created.body as { key: string };
    const res = await request(app.url)
      .put(`/items/${id}/stock`)
      .set('X-API-Key', key)
      .send({ stock: 42 });
    expect(res.status).toBe(200);
    const read = await request(app.url).get(`/items/${id}`).set('Authorization', reader());
    expect((read.body as { stock: number }).stock).toBe(42);
  });

  it('when the stock level is asked, the inventory service is called for that item', async () => {
    const { id } = await createItem('shelf');
    const res = await request(app.url)
      .get(`/items/${id}/stock-level`)
      .set('Authorization', reader());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ itemId: id, available: 7 });
    expect(inventory.requests.map((r) => `${r.method} ${r.url}`)).toContain(`GET /inventory/${id}`);
  });
});
