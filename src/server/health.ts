// `GET /healthz` for load balancers: no credentials, no provider call. Ready
// (200) when the default driver is loaded and, for one on a shared database,
// that database answers; otherwise 503 with Retry-After, and ready again by
// itself once the database is back.
import type { FastifyInstance } from 'fastify';
import type { DriverSource } from '../frontends/deltacloud/plugin.js';

const RETRY_AFTER_SECONDS = 2;

export function registerHealth(app: FastifyInstance, drivers: DriverSource, defaultDriver: string): void {
  app.get('/healthz', async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
    try {
      const driver = await drivers.get(defaultDriver);
      if (!driver) throw new Error('default driver not offered');
      await driver.syncRevision?.();
      return reply.code(200).type('application/json').send({ ready: true });
    } catch {
      return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).type('application/json').send({ ready: false });
    }
  });
}
