// The floor for the REST-driver bench (bench/rest-drivers.ts): a bare node:http
// forwarding proxy, in its own process like our server, that passes every
// request to one upstream and pipes its answer back unchanged. What it adds on
// top of the upstream is what any server in between adds on this machine (an
// extra hop, a process woken per request), before doing any work of its own.
// Prints `listening on <port>` when ready.
//
// Usage: node --import tsx bench/bare-proxy.ts <upstream origin>
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true });

const server = createServer((req, res) => {
  const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  forward.on('error', () => res.destroy());
  req.pipe(forward);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening on ${address.port}`);
});
const stop = () => {
  agent.destroy();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
