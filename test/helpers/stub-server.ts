// A loopback HTTP server for the stand-ins of back ends (the replay stubs of
// recorded EC2 and OpenStack exchanges): listens on a free port, reads each
// request body whole, counts TCP connections, and closes everything on stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubHandler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void | Promise<void>;

export interface StubServer {
  port: number;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

export async function startStubServer(handle: StubHandler): Promise<StubServer> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handle(req, Buffer.concat(chunks), res)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`stub failed: ${String(error)}`);
      });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}
