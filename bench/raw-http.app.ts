import { createServer } from 'node:http';

/** Scenario 6, this machine's ceiling: node:http alone, the same body serialized per request. */
const body: unknown = JSON.parse(process.env.BENCH_BODY ?? '[]');

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/items') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
    return;
  }
  res.writeHead(404).end();
}).listen(Number(process.env.PORT), '127.0.0.1');
