// Reservations and lately terminated instances of the EC2 front end in
// PostgreSQL, so every replica groups DescribeInstances by the same
// reservation ids and shows the same terminated instances, also after a
// restart. Terminating moves an instance from one table to the other in one
// transaction.
import type pg from 'pg';
import type { Instance } from '../../core/model.js';
import { acquirePool, registerMigrations, releasePool, whenMigrated, withDatabase } from '../../storage/postgres.js';
import type { FastifyInstance } from 'fastify';
import { parseDatabaseUrl } from '../../storage/database-url.js';
import { derivedReservation, launchPlacements, MemoryReservations, MemoryTerminatedInstances, terminatedView, type Placement, type Reservations, type TerminatedInstance, type TerminatedInstances } from './memory.js';

registerMigrations([{
  version: 20,
  name: 'EC2 front end reservations and terminated instances',
  sql: `
CREATE TABLE ec2_reservations (
  scope text NOT NULL,
  instance_id text NOT NULL,
  reservation_id text NOT NULL,
  launch_index integer NOT NULL,
  client_token text,
  PRIMARY KEY (scope, instance_id)
);
CREATE TABLE ec2_terminated (
  scope text NOT NULL,
  instance_id text NOT NULL,
  instance text NOT NULL,
  reservation_id text NOT NULL,
  launch_index integer NOT NULL,
  client_token text,
  visible_until_ms bigint NOT NULL,
  terminated_seq bigserial,
  PRIMARY KEY (scope, instance_id)
);
CREATE INDEX ec2_terminated_until ON ec2_terminated (visible_until_ms);`,
}]);

interface PlacementRow { instance_id: string; reservation_id: string; launch_index: number; client_token: string | null }
interface TerminatedRow extends PlacementRow { instance: string }

const toPlacement = (r: PlacementRow): Placement =>
  ({ reservationId: r.reservation_id, launchIndex: r.launch_index, ...(r.client_token === null ? {} : { clientToken: r.client_token }) });

/** An instance this module stored (JSON of the terminated view). */
function parseInstance(text: string): Instance {
  return JSON.parse(text);
}

/**
 * Both stores on one pool: `reservations` and `terminated` (which also ends
 * the live reservation, in the same transaction); `close` releases the pool.
 */
export class SharedPlacements {
  private readonly pool: pg.Pool;
  readonly reservations: Reservations;
  readonly terminated: TerminatedInstances;

  constructor(private readonly url: string, private readonly visibleMs: number, private readonly now: () => number) {
    this.pool = acquirePool(url);
    this.reservations = { record: (...a) => this.launched(...a), of: (...a) => this.placements(...a) };
    this.terminated = {
      record: (...a) => this.terminate(...a),
      list: async (scope) => this.terminatedRows('scope = $1 AND visible_until_ms > $2 ORDER BY terminated_seq', [scope, this.now()]),
      get: async (scope, id) => (await this.terminatedRows('scope = $1 AND visible_until_ms > $2 AND instance_id = $3', [scope, this.now(), id]))[0],
    };
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return withDatabase(async () => {
      await whenMigrated(this.pool);
      return fn();
    });
  }

  private launched(scope: string, instanceIds: string[], clientToken?: string): Promise<string> {
    const placements = launchPlacements(scope, instanceIds, clientToken);
    return this.run(async () => {
      // One statement: the launch is recorded whole or not at all.
      await this.pool.query(`INSERT INTO ec2_reservations (scope, instance_id, reservation_id, launch_index, client_token)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[])
        ON CONFLICT (scope, instance_id) DO UPDATE SET reservation_id = excluded.reservation_id,
          launch_index = excluded.launch_index, client_token = excluded.client_token`,
      [scope, instanceIds, placements.map((p) => p.reservationId), placements.map((p) => p.launchIndex), placements.map((p) => p.clientToken ?? null)]);
      return placements[0]?.reservationId ?? derivedReservation(scope, '');
    });
  }

  private async placements(scope: string, instanceIds: readonly string[]): Promise<Map<string, Placement>> {
    const found = instanceIds.length === 0 ? [] : await this.run(async () => (await this.pool.query<PlacementRow>(
      'SELECT instance_id, reservation_id, launch_index, client_token FROM ec2_reservations WHERE scope = $1 AND instance_id = ANY($2::text[])',
      [scope, instanceIds])).rows);
    const byId = new Map(found.map((r) => [r.instance_id, toPlacement(r)]));
    return new Map(instanceIds.map((id) => [id, byId.get(id) ?? { reservationId: derivedReservation(scope, id), launchIndex: 0 }]));
  }

  private terminate(scope: string, instance: Instance, placement: Placement): Promise<void> {
    return this.run(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('DELETE FROM ec2_reservations WHERE scope = $1 AND instance_id = $2', [scope, instance.id]);
        // Expired entries go with any termination: the table stays as small as the visible window.
        await client.query('DELETE FROM ec2_terminated WHERE (scope = $1 AND instance_id = $2) OR visible_until_ms <= $3', [scope, instance.id, this.now()]);
        if (this.visibleMs > 0) {
          await client.query(`INSERT INTO ec2_terminated (scope, instance_id, instance, reservation_id, launch_index, client_token, visible_until_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [scope, instance.id, JSON.stringify(terminatedView(instance)), placement.reservationId, placement.launchIndex,
            placement.clientToken ?? null, this.now() + this.visibleMs]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    });
  }

  private terminatedRows(where: string, params: unknown[]): Promise<TerminatedInstance[]> {
    return this.run(async () => (await this.pool.query<TerminatedRow>(
      `SELECT instance_id, instance, reservation_id, launch_index, client_token FROM ec2_terminated WHERE ${where}`, params,
    )).rows.map((r) => ({ instance: parseInstance(r.instance), placement: toPlacement(r) })));
  }

  async close(): Promise<void> {
    await releasePool(this.url);
  }
}

/** Reservations and terminated instances: in PostgreSQL when the server runs on it (released when `app` closes), else in memory. */
export function ec2Placements(databaseUrl: string | undefined, visibleMs: number, now: () => number, app: FastifyInstance): { reservations: Reservations; terminated: TerminatedInstances } {
  if (databaseUrl && parseDatabaseUrl(databaseUrl).kind === 'postgres') {
    const shared = new SharedPlacements(databaseUrl, visibleMs, now);
    app.addHook('onClose', () => shared.close());
    return shared;
  }
  const reservations = new MemoryReservations();
  return { reservations, terminated: new MemoryTerminatedInstances(visibleMs, now, reservations) };
}
