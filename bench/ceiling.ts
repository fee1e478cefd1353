// The ceiling for `npm run bench`: a bare node:http server that answers every
// request with one fixed response (the bytes our server sent for
// `GET /api/instances` as XML). Runs in its own process so it gets its own
// event loop, like the real server. Prints `listening on <port>` when ready.
//
// Usage: node --import tsx bench/ceiling.ts <response.json>
//   where response.json = { "headers": { name: value, ... }, "bodyBase64": "..." }
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

interface CannedResponse {
  headers: Record<string, string>;
  bodyBase64: string;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: ceiling.ts <response.json>');
  process.exit(2);
}
const canned = JSON.parse(readFileSync(file, 'utf8')) as CannedResponse;
const body = Buffer.from(canned.bodyBase64, 'base64');
const headers: Record<string, string | number> = { ...canned.headers, 'content-length': body.length };

const server = createServer((req, res) => {
  // Drain any request body, then send the canned bytes.
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening on ${address.port}`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
