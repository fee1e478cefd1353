// A replay stub of an OpenStack cloud for the openstack driver's tests: one
// loopback port per service (identity, compute, image, volume, network), each
// answering with the recorded response bodies in test/fixtures/openstack/ and
// recording every request (method, path, query, headers, JSON body) so tests
// can check what the driver sent. The only adaptation of a recorded body: the
// catalogue URLs of the Keystone token response point at the stub's ports.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStubServer, type StubServer } from '../../helpers/stub-server.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'openstack');

export function fixture(name: string): string {
  const dir = name.startsWith('_v3__') ? 'openstack_identity' : 'openstack_v1.1';
  return readFileSync(join(FIXTURES, dir, name), 'utf8');
}

export type Service = 'identity' | 'compute' | 'image' | 'volume' | 'network' | 'rogue';

export interface Recorded {
  service: Service;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface Answer {
  status: number;
  /** A fixture file name, or undefined for an empty body. */
  file?: string;
  /** A body derived from recorded documents (documented in the fixtures README). */
  text?: string;
  headers?: Record<string, string>;
}

/** The recorded project id in the catalogue URLs (compute, volume). */
export const PROJECT = '9c4693dce56b493b9b83197d900f7fba';
export const PASSWORD = 'secret';

type Route = (r: Recorded, stub: ReplayStub) => Answer | undefined;

const json = (file: string, status = 200): Answer => ({ status, file });
const empty = (status: number, headers?: Record<string, string>): Answer => ({ status, headers });
const NOT_FOUND: Answer = { status: 404, file: '_os_keypairs_not_found.json' };

export class ReplayStub {
  readonly requests: Recorded[] = [];
  readonly ports = {} as Record<Service, number>;
  private readonly servers: StubServer[] = [];
  private tokenCount = 0;
  /** Tokens the stub issued and still accepts. */
  readonly validTokens = new Set<string>();

  // Switches tests flip to select recorded variants or failure modes.
  serversVariant: 'normal' | 'error' = 'normal';
  imagesVariant: 'paged' | 'invalid-next' = 'paged';
  volumeAttached = false;
  /** Answer 406 (empty body) to compute requests carrying a microversion. */
  refuseMicroversion = false;
  /** Answer the next N compute requests with 401 (the recorded Keystone 401 document). */
  rejectNextCompute = 0;
  /** Per-service failure injected: status (empty body) and headers; with `times`, only for that many requests. */
  failure: Partial<Record<Service, { status: number; headers?: Record<string, string>; times?: number }>> = {};
  /** Catalogue URL overrides per service (a closed or silent port), host:port only. */
  catalogueHost: Partial<Record<Service, string>> = {};

  async start(): Promise<void> {
    for (const service of ['identity', 'compute', 'image', 'volume', 'network', 'rogue'] as Service[]) {
      const server = await startStubServer((req, body, res) => this.handle(service, req, body, res));
      this.ports[service] = server.port;
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.servers) await s.stop();
  }

  get authUrl(): string {
    return `http://127.0.0.1:${this.ports.identity}/v3`;
  }

  reset(): void {
    this.requests.length = 0;
    this.serversVariant = 'normal';
    this.imagesVariant = 'paged';
    this.volumeAttached = false;
    this.refuseMicroversion = false;
    this.rejectNextCompute = 0;
    this.failure = {};
    this.catalogueHost = {};
  }

  /** Requests to one service, optionally one method, in order. */
  calls(service: Service, method?: string): Recorded[] {
    return this.requests.filter((r) => r.service === service && (method === undefined || r.method === method));
  }

  /** The one request matching, or an assertion-friendly error. */
  find(service: Service, method: string, path: string | RegExp): Recorded | undefined {
    return this.requests.find((r) => r.service === service && r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  private handle(service: Service, req: IncomingMessage, received: Buffer, res: ServerResponse): void {
    const raw = received.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stub');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const recorded: Recorded = { service, method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers, body };
    this.requests.push(recorded);
    const answer = this.answer(recorded);
    let text = answer.text ?? (answer.file ? fixture(answer.file) : '');
    if (answer.file === '_v3__auth.json') text = this.catalogueForStub(text);
    res.writeHead(answer.status, { ...(text ? { 'Content-Type': 'application/json' } : {}), ...answer.headers });
    res.end(text);
  }

  /** The recorded token response with its catalogue URLs moved to the stub's ports (nothing else changes). */
  private catalogueForStub(text: string): string {
    const ports: Record<string, Service> = { '8774': 'compute', '8776': 'volume', '9696': 'network', '9292': 'image', '5000': 'identity', '35357': 'identity' };
    return text.replace(/http:\/\/(?:controller|192\.168\.\d+\.\d+):(\d+)/g, (_m, port: string) => {
      const service = ports[port]!;
      return `http://${this.catalogueHost[service] ?? `127.0.0.1:${this.ports[service]}`}`;
    });
  }

  private answer(r: Recorded): Answer {
    if (r.service === 'rogue') return empty(500);
    if (r.service === 'identity') return this.identity(r);
    const token = r.headers['x-auth-token'];
    if (typeof token !== 'string' || !this.validTokens.has(token)) return json('_v3__auth_unauthorized.json', 401);
    const failure = this.failure[r.service];
    if (failure) {
      if (failure.times !== undefined && --failure.times <= 0) delete this.failure[r.service];
      return empty(failure.status, failure.headers);
    }
    if (r.service === 'compute') {
      if (this.rejectNextCompute > 0) {
        this.rejectNextCompute--;
        return json('_v3__auth_unauthorized.json', 401);
      }
      if (this.refuseMicroversion && r.headers['openstack-api-version']) return empty(406);
    }
    const routes: Record<Exclude<Service, 'identity' | 'rogue'>, Route> = {
      compute: computeRoutes, image: imageRoutes, volume: volumeRoutes, network: networkRoutes,
    };
    return routes[r.service](r, this) ?? NOT_FOUND;
  }

  private identity(r: Recorded): Answer {
    if (r.method === 'POST' && r.path === '/v3/auth/tokens') {
      const user = r.body?.auth?.identity?.password?.user;
      if (user?.password !== PASSWORD) return json('_v3__auth_unauthorized.json', 401);
      const token = `replay-token-${++this.tokenCount}`;
      this.validTokens.add(token);
      return { status: 201, file: '_v3__auth.json', headers: { 'X-Subject-Token': token } };
    }
    return NOT_FOUND;
  }

  /** Invalidate every issued token (as a revocation would). */
  revokeAll(): void {
    this.validTokens.clear();
  }
}

const P = `/v2/${PROJECT}`;

const computeRoutes: Route = (r, stub) => {
  const m = r.method;
  const p = r.path;
  if (m === 'GET' && p === `${P}/os-availability-zone`) return undefined; // not recorded: Nova's 404 document
  if (m === 'GET' && p === `${P}/flavors/detail`) return json('_flavors_detail.json');
  if (m === 'GET' && p === `${P}/flavors/7`) return json('_flavors_7.json');
  if (m === 'GET' && p === `${P}/servers/detail`) {
    return json(stub.serversVariant === 'error' ? '_servers_detail_ERROR_STATE.json' : '_servers_detail.json');
  }
  if (m === 'GET' && p === `${P}/servers/12064`) return json('_servers_12064.json');
  if (m === 'GET' && p === `${P}/servers/12064247`) return json('_servers_12064247.json');
  if (m === 'GET' && p === `${P}/servers/26f7fbee-8ce1-4c28-887a-bfe8e4bb10fe`) return json('_servers_26f7fbee_8ce1_4c28_887a_bfe8e4bb10fe.json');
  if (m === 'GET' && p === `${P}/servers/2d05bd68-3fbb-4b47-9f38-c690a5d93e45`) {
    const recorded = JSON.parse(fixture('_servers_detail_ERROR_STATE.json')).servers[0];
    return { status: 200, text: JSON.stringify({ server: recorded }) };
  }
  if (m === 'GET' && p.startsWith(`${P}/servers/`) && !p.slice(`${P}/servers/`.length).includes('/')) {
    // Any other listed server shows as its recorded list entry, like the ERROR server above.
    const id = p.slice(`${P}/servers/`.length);
    const entry = JSON.parse(fixture('_servers_detail.json')).servers.find((x: { id: string }) => String(x.id) === id);
    if (entry) return { status: 200, text: JSON.stringify({ server: entry }) };
  }
  if (m === 'POST' && p === `${P}/servers`) return json('_servers_create.json', 202);
  if (m === 'POST' && /^\/v2\/[^/]+\/servers\/[^/]+\/action$/.test(p)) {
    if (r.body?.createImage) {
      // Before microversion 2.45 Nova names the new image in the Location header only.
      return empty(202, { Location: `http://127.0.0.1:${stub.ports.image}/v2/images/4949f9ee-2421-4c81-8b49-13119446008b` });
    }
    return empty(202);
  }
  if (m === 'DELETE' && /^\/v2\/[^/]+\/servers\/[^/]+$/.test(p)) return empty(204);
  if (m === 'GET' && p === `${P}/os-keypairs`) return json('_os_keypairs.json');
  if (m === 'GET' && p === `${P}/os-keypairs/test-key-pair`) return json('_os_keypairs_get_one.json');
  if (m === 'GET' && p.startsWith(`${P}/os-keypairs/`)) {
    // Any other listed key pair shows as its recorded list entry.
    const name = p.slice(`${P}/os-keypairs/`.length);
    const entry = JSON.parse(fixture('_os_keypairs.json')).keypairs.find((k: { keypair: { name: string } }) => k.keypair.name === name);
    if (entry) return { status: 200, text: JSON.stringify(entry) };
  }
  if (m === 'POST' && p === `${P}/os-keypairs`) return json(r.body?.keypair?.public_key ? '_os_keypairs_create_import.json' : '_os_keypairs_create.json');
  if (m === 'DELETE' && p.startsWith(`${P}/os-keypairs/`)) return empty(202);
  if (m === 'POST' && p === `${P}/servers/12065/os-volume_attachments`) {
    stub.volumeAttached = true;
    return json('_servers_12065_os_volume_attachments.json');
  }
  if (m === 'DELETE' && p === `${P}/servers/12065/os-volume_attachments/cd76a3a1-c4ce-40f6-9b9f-07a61508938d`) {
    stub.volumeAttached = false;
    return empty(202);
  }
  if (m === 'POST' && /\/servers\/[^/]+\/os-interface$/.test(p)) return empty(200);
  return undefined;
};

const imageRoutes: Route = (r, stub) => {
  if (r.method === 'GET' && r.path === '/v2/images') {
    if (stub.imagesVariant === 'invalid-next') return json('_images_v2_invalid_next.json');
    return json(r.query.get('marker') === 'e7a40226-3523-4f0f-87d8-d8dc91bbf4a3' ? '_images_v2_page2.json' : '_images_v2.json');
  }
  if (r.method === 'GET' && r.path === '/v2/images/4949f9ee-2421-4c81-8b49-13119446008b') return json('_images_f24a3c1b-d52a-4116-91da-25b3eee8f55d.json');
  if (r.method === 'DELETE' && r.path.startsWith('/v2/images/')) return empty(204);
  if (r.method === 'GET' && r.path.startsWith('/v2/images/')) {
    // A listed image shows as its recorded list entry (Glance v2 answers the same object).
    const id = r.path.slice('/v2/images/'.length);
    for (const page of ['_images_v2.json', '_images_v2_page2.json']) {
      const entry = JSON.parse(fixture(page)).images.find((i: { id: string }) => i.id === id);
      if (entry) return { status: 200, text: JSON.stringify(entry) };
    }
  }
  return undefined;
};

const volumeRoutes: Route = (r, stub) => {
  const m = r.method;
  const p = r.path;
  if (m === 'GET' && p === `${P}/volumes/detail`) return json('_v2_0__volumes.json');
  if (m === 'GET' && p === `${P}/volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d`) {
    return json(stub.volumeAttached ? '_v2_0__volume_abc6a3a1_c4ce_40f6_9b9f_07a61508938d.json' : '_v2_0__volume.json');
  }
  if (m === 'POST' && p === `${P}/volumes`) return json('_v2_0__volume.json', 202);
  if (m === 'DELETE' && p.startsWith(`${P}/volumes/`)) return empty(202);
  if (m === 'GET' && p === `${P}/snapshots/detail`) {
    return json(r.query.get('marker') === 'abcde279-4cc0-4b47-a4ee-ec9c9e474b1b' ? '_v2_0__snapshots.json' : '_v2_0__snapshots_paginate_start.json');
  }
  if (m === 'GET' && p === `${P}/snapshots/3fbbcccf-d058-4502-8844-6feeffdf4cb5`) return json('_v2_0__snapshot.json');
  if (m === 'POST' && p === `${P}/snapshots`) return json('_v2_0__snapshot.json', 202);
  if (m === 'DELETE' && p.startsWith(`${P}/snapshots/`)) return empty(202);
  return undefined;
};

const networkRoutes: Route = (r) => {
  const m = r.method;
  const p = r.path;
  if (m === 'GET' && p === '/v2.0/floatingips') {
    return json(r.query.get('floating_ip_address') === '10.3.1.21' ? '_v2_0__floatingips_ip_id.json' : '_v2_0__floatingips.json');
  }
  if (m === 'POST' && p === '/v2.0/floatingips') return json('_v2_0__floatingip.json', 201);
  if (m === 'PUT' && p.startsWith('/v2.0/floatingips/')) return json('_v2_0__floatingip.json');
  if (m === 'DELETE' && p.startsWith('/v2.0/floatingips/')) return empty(204);
  if (m === 'GET' && p === '/v2.0/networks') return json(r.query.get('router:external') === 'true' ? '_v2_0__networks_public.json' : '_v2_0__networks.json');
  if (m === 'GET' && p === '/v2.0/networks/cc2dad14-827a-feea-416b-f13e50511a0a') return json('_v2_0__network.json');
  if (m === 'POST' && p === '/v2.0/networks') return json('_v2_0__networks_POST.json', 201);
  if (m === 'DELETE' && p.startsWith('/v2.0/networks/')) return empty(204);
  if (m === 'GET' && p === '/v2.0/subnets') return json('_v2_0__subnets.json');
  if (m === 'GET' && p === '/v2.0/subnets/08eae331-0402-425a-923c-34f7cfe39c1b') return json('_v2_0__subnet.json');
  if (m === 'POST' && p === '/v2.0/subnets') return json('_v2_0__subnet.json', 201);
  if (m === 'DELETE' && p.startsWith('/v2.0/subnets/')) return empty(204);
  if (m === 'GET' && p === '/v2.0/ports') return json('_ports_v2.json');
  if (m === 'GET' && p === '/v2.0/ports/126da55e-cfcb-41c8-ae39-a26cb8a7e723') return json('_port_v2.json');
  if (m === 'POST' && p === '/v2.0/ports') return json('_port_v2.json', 201);
  if (m === 'DELETE' && p.startsWith('/v2.0/ports/')) return empty(204);
  if (m === 'GET' && p === '/v2.0/security-groups') return json('_v2_0__security_groups.json');
  if (m === 'GET' && p === '/v2.0/security-groups/6') return json('_v2_0__security_group.json');
  if (m === 'POST' && p === '/v2.0/security-groups') return json('_v2_0__security_group.json', 201);
  if (m === 'DELETE' && p.startsWith('/v2.0/security-groups/')) return empty(204);
  if (m === 'POST' && p === '/v2.0/security-group-rules') return json('_v2_0__security_group_rule.json', 201);
  if (m === 'DELETE' && p.startsWith('/v2.0/security-group-rules/')) return empty(204);
  return undefined;
};
