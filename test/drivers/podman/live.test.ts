// The podman driver against a real Podman service (scripts/podman/setup.sh:
// its own socket and storage under /tmp, runc, no network) through the
// server over HTTP; what the driver did is checked in the engine's own
// answers. Without podman the suite skips loudly; under CI it fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertJsonError, assertNoLeak, JSON_TYPE, req, type ReqOptions, type Res } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';
import { closeEngine, engine, MISSING_SOCKET, PODMAN_DIR, PODMAN_OPERATOR, requirePodman, SOCKET, startPodmanServer, testImageId } from './target.js';

const AUTH = 'Basic ' + Buffer.from(`${PODMAN_OPERATOR.user}:${PODMAN_OPERATOR.password}`).toString('base64');
const unique = `${process.pid.toString(36)}${Date.now().toString(36)}`;

let present = false;
let server: TestServer;
let imageId: string;
/** Containers and images a failing test may leave: removed in `after` through the engine. */
const leftovers = { containers: new Set<string>(), images: new Set<string>(), volumes: new Set<string>() };

async function call(method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
  const res = await req(server, method, path, { auth: AUTH, accept: JSON_TYPE, ...opts });
  assertNoLeak(res, [PODMAN_OPERATOR.password, SOCKET, PODMAN_DIR]);
  return res;
}

async function createInstance(params: Record<string, string>): Promise<{ id: string; json: Record<string, any> }> {
  const res = await call('POST', '/api/instances', { body: { image_id: imageId, ...params } });
  assert.equal(res.status, 201, res.text.slice(0, 500));
  const instance = res.json().instance;
  leftovers.containers.add(instance.id);
  return { id: instance.id, json: instance };
}

interface Inspected { Id: string; Name: string; State: { Status: string; StartedAt: string }; HostConfig: { NanoCpus: number; Memory: number; NetworkMode: string }; Config: { Env: string[] } }
const inspect = async (id: string) => engine<Inspected>('GET', `/containers/${id}/json`);

before(async () => {
  present = await requirePodman();
  if (!present) return;
  imageId = await testImageId();
  server = await startPodmanServer();
});

after(async () => {
  await server?.stop();
  if (present) {
    for (const id of leftovers.containers) await engine('DELETE', `/containers/${id}?force=true&v=true`);
    for (const id of leftovers.images) await engine('DELETE', `/images/sha256:${id}?force=true`);
    for (const name of leftovers.volumes) await engine('DELETE', `/volumes/${name}?force=true`);
  }
  await closeEngine();
});

const live = (name: string, fn: () => Promise<void>) => test(name, { timeout: 180_000 }, async (t) => {
  if (!present) return t.skip('podman missing');
  await fn();
});

describe('podman driver, live', () => {
  live('hardware profiles and the realm come from the engine host', async () => {
    const { json: info } = await engine<{ NCPU: number; MemTotal: number; Name: string }>('GET', '/info');
    const profiles = (await call('GET', '/api/hardware_profiles')).json().hardware_profiles;
    assert.deepEqual(profiles.map((p: { id: string }) => p.id), ['default', 'custom']);
    const custom = (await call('GET', '/api/hardware_profiles/custom', { accept: 'application/xml' })).text;
    assert.match(custom, new RegExp(`<property kind='range' name='cpu'[^>]*>[\\s\\S]*?<range first='0.1' last='${info.NCPU}'`));
    assert.match(custom, new RegExp(`<property kind='range' name='memory'[^>]*>[\\s\\S]*?<range first='6' last='${Math.floor(info.MemTotal / 2 ** 20)}'`));
    const realms = (await call('GET', '/api/realms')).json().realms;
    assert.deepEqual(realms.map((r: { id: string }) => r.id), [info.Name]);
  });

  live('life cycle: create with limits, run, stop, start, reboot, image from the instance, a new instance from it, destroy', async () => {
    const userData = 'line one\n\u00e9\u0000binary';
    const { id, json } = await createInstance({
      name: `web-${unique}`, hwp_id: 'custom', hwp_cpu: '0.5', hwp_memory: '64', user_data: Buffer.from(userData).toString('base64'),
    });
    assert.equal(json.state, 'RUNNING');
    assert.equal(json.name, `web-${unique}`);
    assert.deepEqual(json.hardware_profile.properties, { cpu: '0.5', memory: '64' });
    // The limits as the engine holds them.
    const created = (await inspect(id)).json;
    assert.equal(created.HostConfig.NanoCpus, 500_000_000);
    assert.equal(created.HostConfig.Memory, 64 * 2 ** 20);
    assert.equal(created.State.Status, 'running');

    // Run: output of a shell command inside the container (stdout and stderr), user data in the environment.
    const ran = await call('POST', `/api/instances/${id}/run`, { body: { cmd: 'echo "$DELTACLOUD_USER_DATA" | base64 -d; echo to-stderr >&2; echo marked > /marker' } });
    assert.equal(ran.status, 200, ran.text);
    assert.equal(ran.json().instance.output, `${userData}to-stderr\n`);

    const stopped = await call('POST', `/api/instances/${id}/stop`);
    assert.equal(stopped.status, 202, stopped.text);
    assert.equal(stopped.json().state, 'STOPPED');
    assert.equal((await inspect(id)).json.State.Status, 'exited');
    // Wrong state: run and stop on a stopped instance.
    assert.equal((await call('POST', `/api/instances/${id}/run`, { body: { cmd: 'true' } })).status, 405);
    assertJsonError(await call('POST', `/api/instances/${id}/stop`), { status: 405, error: 'Deltacloud::Exceptions::MethodNotAllowed' });

    const started = await call('POST', `/api/instances/${id}/start`);
    assert.equal(started.json().state, 'RUNNING');
    const before = (await inspect(id)).json.State.StartedAt;
    const rebooted = await call('POST', `/api/instances/${id}/reboot`);
    assert.equal(rebooted.status, 202);
    assert.equal(rebooted.json().state, 'RUNNING');
    assert.notEqual((await inspect(id)).json.State.StartedAt, before, 'reboot restarted the container');
    assertJsonError(await call('POST', `/api/instances/${id}/start`), { status: 405, error: 'Deltacloud::Exceptions::MethodNotAllowed' });

    // Image from the instance: the file written above is in it.
    const imaged = await call('POST', '/api/images', { body: { instance_id: id, name: `golden-${unique}:v1`, description: 'made by the live suite' } });
    assert.equal(imaged.status, 201, imaged.text);
    const image = imaged.json().image;
    leftovers.images.add(image.id);
    assert.equal(image.name, `localhost/golden-${unique}:v1`);
    assert.equal(image.description, 'made by the live suite');
    assert.equal((await engine('GET', `/images/sha256:${image.id}/json`)).status, 200);
    const second = await createInstance({});
    const fromImage = await createInstance({ image_id: image.id });
    assert.equal(fromImage.json.image.id, image.id);
    const check = await call('POST', `/api/instances/${fromImage.id}/run`, { body: { cmd: 'cat /marker' } });
    assert.equal(check.json().instance.output, 'marked\n');
    // The default profile sets no limits.
    assert.equal((await inspect(second.id)).json.HostConfig.Memory, 0);

    // An image in use cannot be destroyed.
    assertJsonError(await call('DELETE', `/api/images/${image.id}`), { status: 409, error: 'Deltacloud::Exceptions::Conflict' });

    for (const target of [id, second.id, fromImage.id]) {
      const destroyed = await call('DELETE', `/api/instances/${target}`);
      assert.equal(destroyed.status, 204, destroyed.text);
      assert.equal((await inspect(target)).status, 404);
      assert.equal((await call('GET', `/api/instances/${target}`)).status, 404);
      leftovers.containers.delete(target);
    }
    assert.equal((await call('DELETE', `/api/images/${image.id}`)).status, 204);
    assert.equal((await engine('GET', `/images/sha256:${image.id}/json`)).status, 404);
    leftovers.images.delete(image.id);
  });

  live('volumes: create, list, show, filter, refuse a duplicate, destroy', async () => {
    const name = `data-${unique}`;
    const created = await call('POST', '/api/storage_volumes', { body: { name, description: 'scratch', capacity: '1' } });
    assert.equal(created.status, 201, created.text);
    leftovers.volumes.add(name);
    const volume = created.json().storage_volume;
    assert.equal(volume.id, name);
    assert.equal(volume.description, 'scratch');
    assert.equal(volume.state, 'AVAILABLE');
    assert.equal((await engine('GET', `/volumes/${name}`)).status, 200);
    assert.deepEqual((await call('GET', `/api/storage_volumes?id=${name}`)).json().storage_volumes.map((v: { id: string }) => v.id), [name]);
    assert.equal((await call('GET', `/api/storage_volumes/${name}`)).status, 200);
    assertJsonError(await call('POST', '/api/storage_volumes', { body: { name } }), { status: 409, error: 'Deltacloud::Exceptions::Conflict' });
    // Attach is only possible when a container is created on these engines: not offered.
    const attach = await call('POST', `/api/storage_volumes/${name}/attach`, { body: { instance_id: 'x', device: '/data' } });
    assert.equal(attach.status, 412);
    assert.equal((await call('DELETE', `/api/storage_volumes/${name}`)).status, 204);
    assert.equal((await engine('GET', `/volumes/${name}`)).status, 404);
    leftovers.volumes.delete(name);
    assert.equal((await call('GET', `/api/storage_volumes/${name}`)).status, 404);
  });

  live('a volume mounted at instance creation: in use with its instance, kept across instances, not destroyable while mounted', async () => {
    const name = `shared-${unique}`;
    assert.equal((await call('POST', '/api/storage_volumes', { body: { name } })).status, 201);
    leftovers.volumes.add(name);
    assertJsonError(await call('POST', '/api/instances', { body: { image_id: imageId, volume_id: `no-such-${unique}` } }), { status: 400, error: 'Deltacloud::Exceptions::ValidationFailure' });
    assert.equal((await call('POST', '/api/instances', { body: { image_id: imageId, volume_id: name, volume_mount: '/a:/b' } })).status, 400);
    const first = await createInstance({ volume_id: name, volume_mount: '/srv/data' });
    assert.deepEqual(first.json.storage_volumes.map((v: { id: string }) => v.id), [name]);
    const used = (await call('GET', `/api/storage_volumes/${name}`)).json().storage_volume;
    assert.equal(used.state, 'IN-USE');
    assert.equal(used.instance.id, first.id);
    assert.equal(used.device, '/srv/data');
    assert.equal((await call('POST', `/api/instances/${first.id}/run`, { body: { cmd: 'echo kept > /srv/data/file' } })).status, 200);
    assertJsonError(await call('DELETE', `/api/storage_volumes/${name}`), { status: 409, error: 'Deltacloud::Exceptions::Conflict' });
    assert.equal((await call('DELETE', `/api/instances/${first.id}`)).status, 204);
    leftovers.containers.delete(first.id);
    assert.equal((await call('GET', `/api/storage_volumes/${name}`)).json().storage_volume.state, 'AVAILABLE');
    const second = await createInstance({ volume_id: name });
    assert.equal((await call('POST', `/api/instances/${second.id}/run`, { body: { cmd: 'cat /data/file' } })).json().instance.output, 'kept\n');
    assert.equal((await call('DELETE', `/api/instances/${second.id}`)).status, 204);
    leftovers.containers.delete(second.id);
    assert.equal((await call('DELETE', `/api/storage_volumes/${name}`)).status, 204);
    leftovers.volumes.delete(name);
  });

  live('metrics: listed per instance; a reading has CPU, memory (the limit set), network and block I/O', async () => {
    const { id } = await createInstance({ hwp_id: 'custom', hwp_memory: '32' });
    const listed = (await call('GET', '/api/metrics')).json().metrics;
    assert.ok(listed.some((m: { id: string }) => m.id === id));
    const metric = (await call('GET', `/api/metrics/${id}`)).json().metric;
    const value = (name: string) => metric.properties.find((p: { name: string }) => p.name === name)?.values?.[0];
    assert.equal(value('memoryLimit').average, 32 * 2 ** 20);
    assert.ok(value('memoryUsed').average > 0);
    assert.equal(value('cpuUtilization').unit, 'Percent');
    assert.ok(value('cpuUtilization').average >= 0 && value('cpuUtilization').average <= 200);
    for (const name of ['nicInputByte', 'nicOutputByte', 'diskReadByte', 'diskWriteByte']) assert.ok(value(name).average >= 0, name);
    await call('POST', `/api/instances/${id}/stop`);
    const stopped = (await call('GET', `/api/metrics/${id}`)).json().metric;
    assert.ok(stopped.properties.every((p: { values: unknown[] }) => p.values.length === 0), 'no live counters when stopped');
    assert.equal((await call('DELETE', `/api/instances/${id}`)).status, 204);
    leftovers.containers.delete(id);
  });

  live('filters: state and id are exact; only the driver\'s own containers are listed', async () => {
    const { id } = await createInstance({});
    const foreign = await engine<{ Id: string }>('POST', `/containers/create?name=foreign-${unique}`, { Image: imageId, HostConfig: { NetworkMode: 'none' } });
    leftovers.containers.add(foreign.json.Id);
    const ids = async (query: string) => (await call('GET', `/api/instances${query}`)).json().instances.map((i: { id: string }) => i.id);
    assert.ok((await ids('?state=RUNNING')).includes(id));
    assert.ok(!(await ids('?state=STOPPED')).includes(id));
    assert.deepEqual(await ids('?state=running'), []);
    assert.deepEqual(await ids(`?id=${id}`), [id]);
    assert.ok(!(await ids('')).includes(foreign.json.Id), 'a container the driver did not create is not listed');
    assert.equal((await call('GET', `/api/instances/${foreign.json.Id}`)).status, 404);
    // A prefix or a name is not an id.
    assert.equal((await call('GET', `/api/instances/${id.slice(0, 12)}`)).status, 404);
    assert.equal((await call('GET', `/api/images/${imageId.slice(0, 12)}`)).status, 404);
    await call('DELETE', `/api/instances/${id}`);
    leftovers.containers.delete(id);
  });

  live('errors: unknown ids 404, bad sizes 400, a missing engine 502 naming the provider only', async () => {
    assert.equal((await call('GET', `/api/instances/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await call('GET', `/api/images/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await call('DELETE', `/api/images/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await call('POST', `/api/instances/${'0'.repeat(64)}/run`, { body: { cmd: 'true' } })).status, 404);
    assertJsonError(await call('POST', '/api/instances', { body: { image_id: 'no-such-image' } }), { status: 400, error: 'Deltacloud::Exceptions::ValidationFailure' });
    const tooBig = await call('POST', '/api/instances', { body: { image_id: imageId, hwp_id: 'custom', hwp_memory: '99999999' } });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.json().message, /hwp_memory must be from 6 to \d+/);
    assert.equal((await call('POST', '/api/instances', { body: { image_id: imageId, name: 'bad name!' } })).status, 400);
    const gone = await call('GET', '/api/instances', { headers: { 'X-Deltacloud-Provider': 'gone' } });
    assertJsonError(gone, { status: 502, error: 'Deltacloud::Exceptions::ProviderError' });
    assert.match(gone.json().message, /^Container engine not reachable at provider 'gone'/);
    assert.ok(!gone.text.includes(MISSING_SOCKET));
    const other = await call('GET', '/api/instances', { headers: { 'X-Deltacloud-Provider': 'unix:///var/run/docker.sock' } });
    assert.equal(other.status, 400, 'a provider outside the allow-list is refused before anything is contacted');
    // The operator's credentials are required.
    assert.equal((await call('GET', '/api/instances', { auth: 'Basic ' + Buffer.from('operator:wrong').toString('base64') })).status, 401);
  });

  live('a create that fails half-way (the container does not start) leaves no container behind', async () => {
    // An image whose command does not exist: the engine creates the container, then cannot start it.
    const base = await engine<{ Id: string }>('POST', '/containers/create', { Image: imageId, HostConfig: { NetworkMode: 'none' } });
    leftovers.containers.add(base.json.Id);
    const changes = encodeURIComponent('CMD ["/no-such-command"]');
    const broken = await engine<{ Id: string }>('POST', `/commit?container=${base.json.Id}&repo=localhost/broken-${unique}&tag=latest&changes=${changes}`, {});
    assert.equal(broken.status, 201, JSON.stringify(broken.json));
    const brokenId = broken.json.Id.replace(/^sha256:/, '');
    leftovers.images.add(brokenId);
    const count = async () => (await engine<unknown[]>('GET', '/containers/json?all=true')).json.length;
    const before = await count();
    const res = await call('POST', '/api/instances', { body: { image_id: brokenId, name: `half-${unique}` } });
    assert.ok(res.status >= 400, res.text);
    assert.ok(res.json().message.length > 0, 'the engine\'s message');
    assert.equal(await count(), before);
    assert.equal((await engine('GET', `/containers/half-${unique}/json`)).status, 404);
  });

  live('concurrency: 10 instances created in parallel, all running, all destroyed', async () => {
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => createInstance({ name: `par-${unique}-${i}` })));
    assert.equal(new Set(created.map((c) => c.id)).size, 10);
    const listed = (await call('GET', '/api/instances')).json().instances.filter((i: { id: string }) => leftovers.containers.has(i.id));
    assert.ok(listed.length >= 10 && listed.every((i: { state: string }) => i.state === 'RUNNING'));
    const destroyed = await Promise.all(created.map((c) => call('DELETE', `/api/instances/${c.id}`)));
    assert.deepEqual(destroyed.map((r) => r.status), Array(10).fill(204));
    for (const c of created) {
      assert.equal((await inspect(c.id)).status, 404);
      leftovers.containers.delete(c.id);
    }
  });
});
