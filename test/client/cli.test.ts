// deltacloudc, the built bin, spawned against the real server (mock): verbs,
// output formats, exit codes, profiles' file permissions, the password never
// echoed, and the progress bar under a pseudo-terminal (`script`).
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT, startServer, type TestServer } from '../helpers/server.js';

const BIN = join(ROOT, 'packages', 'client', 'dist', 'cli.js');
let server: TestServer;
let home: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

before(async () => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'packages', 'client', 'tsconfig.json')]);
  server = await startServer();
  home = mkdtempSync(join(tmpdir(), 'deltacloudc-home-'));
  env = {
    PATH: process.env.PATH, HOME: home,
    DELTACLOUD_URL: `http://127.0.0.1:${server.port}/api`, DELTACLOUD_USER: 'mockuser', DELTACLOUD_PASSWORD: 'mockpassword',
  };
});
after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('deltacloudc', () => {
  it('lists in every output format', async () => {
    const json = await run(['realms', 'list', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).map((r: { id: string }) => r.id).sort(), ['eu', 'us']);
    const yaml = await run(['realms', 'list', '-o', 'yaml']);
    assert.deepEqual(parseYaml(yaml.stdout), JSON.parse(json.stdout));
    const table = await run(['realms', 'list', '-o', 'table']);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+NAME\s+STATE\s+LIMIT$/);
    assert.equal(lines.length, 3);
    assert.equal(lines[1]!.indexOf('United States'), lines[0]!.indexOf('NAME'), 'aligned columns');
    const xml = await run(['realms', 'show', 'us', '-o', 'xml']);
    assert.match(xml.stdout, /<realm href='[^']+\/realms\/us' id='us'>/);
    const piped = await run(['realms', 'list']);
    assert.deepEqual(JSON.parse(piped.stdout), JSON.parse(json.stdout), 'JSON when stdout is not a terminal');
  });

  it('creates, acts with --wait, and destroys an instance; exit codes scripts rely on', async () => {
    const created = await run(['instances', 'create', '--image_id', 'img1', '--name', 'cli-test', '--wait', '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    const instance = JSON.parse(created.stdout);
    assert.equal(instance.state, 'RUNNING');
    const stopped = await run(['instances', 'stop', instance.id, '--wait', '-o', 'json']);
    assert.equal(JSON.parse(stopped.stdout).state, 'STOPPED');
    const again = await run(['instances', 'stop', instance.id]);
    assert.equal(again.code, 3, 'state conflict');
    assert.equal(again.stderr.trim().split('\n').length, 1, 'one line on stderr');
    assert.match(again.stderr, /offers no 'stop' action/);
    assert.equal((await run(['instances', 'start', instance.id, '--wait'])).code, 0);
    assert.equal((await run(['instances', 'reboot', instance.id])).code, 0);
    const ran = await run(['instances', 'run', instance.id, '--cmd', 'uname', '-o', 'json']);
    assert.equal(JSON.parse(ran.stdout).command, 'uname');
    assert.equal((await run(['instances', 'stop', instance.id, '--wait'])).code, 0);
    assert.equal((await run(['instances', 'destroy', instance.id])).code, 0);
    assert.equal((await run(['instances', 'show', instance.id])).code, 2, 'not found');
    assert.equal((await run(['instances', 'list'], { DELTACLOUD_PASSWORD: 'wrong' })).code, 4, 'authentication');
    assert.equal((await run(['realms', 'list'], { DELTACLOUD_URL: 'http://127.0.0.1:1/api' })).code, 5, 'back end unreachable');
    const unknown = await run(['spaceships', 'list']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout + unknown.stderr, /unknown collection 'spaceships'[\s\S]*Usage:/);
    assert.equal((await run(['instances', 'fly'])).code, 1);
    assert.equal((await run([])).code, 1);
  });

  it('every other verb: keys, volumes, snapshots, addresses, load balancers, firewalls, networks', async () => {
    const ok = async (args: string[]) => {
      const r = await run([...args, '-o', 'json']);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout ? JSON.parse(r.stdout) : undefined;
    };
    await ok(['keys', 'create', '--name', 'clikey']);
    await ok(['keys', 'destroy', 'clikey']);
    const volume = await ok(['storage_volumes', 'create', '--capacity', '1']);
    await ok(['storage_volumes', 'attach', volume.id, '--instance_id', 'inst1', '--device', '/dev/sde']);
    await ok(['storage_volumes', 'detach', volume.id]);
    const snapshot = await ok(['storage_snapshots', 'create', '--volume_id', volume.id]);
    await ok(['storage_snapshots', 'destroy', snapshot.id]);
    await ok(['storage_volumes', 'destroy', volume.id]);
    const address = await ok(['addresses', 'create']);
    assert.equal((await ok(['addresses', 'associate', address.id, '--instance_id', 'inst1'])).instance_id, 'inst1');
    await ok(['addresses', 'disassociate', address.id]);
    await ok(['addresses', 'destroy', address.id]);
    const lb = await ok(['load_balancers', 'create', '--name', 'clilb', '--realm_id', 'us', '--listener_protocol', 'HTTP', '--listener_balancer_port', '80', '--listener_instance_port', '80']);
    await ok(['load_balancers', 'register', lb.id, '--instance_id', 'inst1']);
    await ok(['load_balancers', 'unregister', lb.id, '--instance_id', 'inst1']);
    await ok(['load_balancers', 'destroy', lb.id]);
    const fw = await ok(['firewalls', 'create', '--name', 'clifw', '--description', 'cli']);
    const withRule = await ok(['firewalls', 'add-rule', fw.id, '--protocol', 'tcp', '--port_from', '22', '--port_to', '22', '--ip_address1', '10.0.0.0/8']);
    await ok(['firewalls', 'delete-rule', fw.id, withRule.rules[0].id]);
    await ok(['firewalls', 'destroy', fw.id]);
    const net = await ok(['networks', 'create', '--name', 'clinet', '--address_block', '10.7.0.0/16']);
    const sub = await ok(['subnets', 'create', '--network_id', net.id, '--address_block', '10.7.1.0/24']);
    const nic = await ok(['network_interfaces', 'create', '--instance', 'inst1', '--network', net.id, '--subnet', sub.id]);
    for (const [c, id] of [['network_interfaces', nic.id], ['subnets', sub.id], ['networks', net.id]]) await ok([c!, 'destroy', id!]);
    for (const c of ['hardware_profiles', 'images', 'metrics', 'storage_snapshots', 'buckets', 'instance_states', 'drivers']) await ok([c, 'list']);
    await ok(['hardware_profiles', 'show', 'm1-small']);
    await ok(['images', 'show', 'img1']);
  });

  it('help for a verb comes from the server\'s document', async () => {
    const help = await run(['instances', 'create', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /POST \/instances/);
    assert.match(help.stdout, /--image_id \(required\)\s+The image to launch\./);
    const completion = await run(['completion', 'bash']);
    assert.match(completion.stdout, /complete -F _deltacloudc deltacloudc/);
    assert.match(completion.stdout, /instances\) COMPREPLY=\( \$\(compgen -W "list show create destroy start stop reboot run"/);
    const syntax = spawnSync('bash', ['-n'], { input: completion.stdout });
    assert.equal(syntax.status, 0, String(syntax.stderr));
    assert.match((await run(['completion', 'zsh'])).stdout, /^#compdef deltacloudc/);
  });

  it('profiles: created 0600, refused when others can read them; the password never on the command line or echoed', async () => {
    const passwordFile = join(home, 'password');
    writeFileSync(passwordFile, 'mockpassword\n', { mode: 0o600 });
    const saved = await run(['profile', 'save', 'local', '--url', env.DELTACLOUD_URL!, '--user', 'mockuser', '--password-file', passwordFile]);
    assert.equal(saved.code, 0, saved.stderr);
    const config = join(home, '.config', 'deltacloud', 'config.json');
    assert.equal(statSync(config).mode & 0o777, 0o600);
    assert.doesNotMatch(readFileSync(config, 'utf8'), /mockpassword/);
    const noEnv = { DELTACLOUD_URL: '', DELTACLOUD_USER: '', DELTACLOUD_PASSWORD: undefined };
    const viaProfile = await run(['realms', 'list', '--profile', 'local', '-o', 'json'], { ...noEnv, DELTACLOUD_URL: undefined, DELTACLOUD_USER: undefined });
    assert.equal(viaProfile.code, 0, viaProfile.stderr);
    chmodSync(config, 0o644);
    const refused = await run(['realms', 'list', '--profile', 'local'], { DELTACLOUD_URL: undefined, DELTACLOUD_USER: undefined, DELTACLOUD_PASSWORD: undefined });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /readable by others/);
    chmodSync(config, 0o600);
    const onCommandLine = await run(['realms', 'list', '--password', 'mockpassword']);
    assert.equal(onCommandLine.code, 1);
    assert.doesNotMatch(onCommandLine.stderr + onCommandLine.stdout, /mockpassword/);
    const wrong = await run(['instances', 'list'], { DELTACLOUD_PASSWORD: 'sekrit-wrong' });
    assert.doesNotMatch(wrong.stderr + wrong.stdout, /sekrit/);
  });

  it('blob put/get: a progress bar on a terminal, none when piped', async () => {
    assert.equal((await run(['buckets', 'create', '--name', 'clibucket'])).code, 0);
    const file = join(home, 'data.bin');
    writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 1));
    const piped = await run(['blobs', 'put', 'clibucket', 'data', file, '-o', 'json']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).content_length, 3 * 1024 * 1024);
    assert.equal(piped.stderr, '', 'no progress when not on a terminal');
    const got = await run(['blobs', 'get', 'clibucket', 'data']);
    assert.equal(got.stdout.length, 3 * 1024 * 1024);
    // Under a pseudo-terminal (util-linux `script`): the bar, with bytes, rate and ETA.
    const envs = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const pty = spawnSync('script', ['-qec', `env ${envs.join(' ')} ${process.execPath} ${BIN} blobs put clibucket data2 ${file} -o json`, '/dev/null'], { encoding: 'utf8' });
    assert.equal(pty.status, 0, pty.stdout + pty.stderr);
    assert.match(pty.stdout, /\[#+\] 100% 3\.0 MiB\/3\.0 MiB ETA \d+s [\d.]+ [KMG]?i?B\/s/);
    for (const blob of ['data', 'data2']) assert.equal((await run(['blobs', 'destroy', 'clibucket', blob])).code, 0);
    assert.equal((await run(['buckets', 'destroy', 'clibucket'])).code, 0);
  });
});
