// The AWS command line (Debian's `awscli` package) against the EC2 front end:
// describe, run, stop, start, terminate an instance; create and delete a key
// pair; a wrong secret. No AWS config files: a temporary HOME.
// In CI (CI set) a missing `aws` fails loudly; elsewhere the test is skipped with the reason.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startServer, type TestServer } from '../../helpers/server.js';

const run = promisify(execFile);

/** DELTACLOUD_AWS_CLI when set, else Debian's /usr/bin/aws, else `aws` on PATH; undefined when none runs. */
function findAwsCli(): string | undefined {
  const chosen = process.env.DELTACLOUD_AWS_CLI;
  const candidates = chosen ? [chosen] : ['/usr/bin/aws', 'aws'];
  for (const candidate of candidates) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore', timeout: 60_000 });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const AWS = findAwsCli();
const MISSING = 'the AWS CLI (`aws`) is not installed: apt-get install -y awscli';
if (!AWS && process.env.CI) {
  test('the AWS CLI is installed', () => assert.fail(`${MISSING} (required in CI)`));
}
const skip = AWS ? false : MISSING;

let server: TestServer;
let home: string;

before(async () => {
  if (!AWS) return;
  home = mkdtempSync(join(tmpdir(), 'awscli-home-'));
  server = await startServer({ args: ['-f', 'deltacloud,ec2'] });
});
after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function aws(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const cleanEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) cleanEnv[k] = v;
  try {
    const { stdout, stderr } = await run(AWS!, ['ec2', ...args, '--endpoint-url', `http://127.0.0.1:${server.port}/ec2`, '--output', 'json'], {
      env: {
        ...cleanEnv, HOME: home, AWS_ACCESS_KEY_ID: 'mockuser', AWS_SECRET_ACCESS_KEY: 'mockpassword', AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        ...env,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
  }
}

async function awsJson<T = any>(args: string[]): Promise<T> {
  const result = await aws(args);
  assert.equal(result.code, 0, `aws ec2 ${args.join(' ')} failed: ${result.stderr}`);
  return (result.stdout.trim() ? JSON.parse(result.stdout) : {}) as T;
}

async function stateOf(id: string): Promise<string> {
  const out = await awsJson(['describe-instances', '--instance-ids', id]);
  return out.Reservations[0].Instances[0].State.Name;
}

test('describe, run, stop, start and terminate an instance', { skip }, async () => {
  const all = await awsJson(['describe-instances']);
  assert.ok(all.Reservations.length >= 4, 'the mock seed instances are listed');

  const launched = await awsJson(['run-instances', '--image-id', 'img1', '--instance-type', 'm1-small', '--count', '1',
    '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Name,Value=from-cli}]', '--client-token', 'cli-token-1']);
  const id: string = launched.Instances[0].InstanceId;
  assert.equal(launched.Instances[0].Tags[0].Value, 'from-cli');
  assert.equal(await stateOf(id), 'running');

  const filtered = await awsJson(['describe-instances', '--filters', 'Name=tag:Name,Values=from-cli']);
  assert.deepEqual(filtered.Reservations.flatMap((r: any) => r.Instances.map((i: any) => i.InstanceId)), [id]);

  const stopped = await awsJson(['stop-instances', '--instance-ids', id]);
  assert.equal(stopped.StoppingInstances[0].CurrentState.Name, 'stopped');
  assert.equal(await stateOf(id), 'stopped');

  const started = await awsJson(['start-instances', '--instance-ids', id]);
  assert.equal(started.StartingInstances[0].CurrentState.Name, 'running');
  assert.equal(await stateOf(id), 'running');

  const terminated = await awsJson(['terminate-instances', '--instance-ids', id]);
  assert.equal(terminated.TerminatingInstances[0].CurrentState.Name, 'terminated');
  // The waiter polls DescribeInstances: a terminated instance must still be listed (AWS: about an hour).
  const waited = await aws(['wait', 'instance-terminated', '--instance-ids', id]);
  assert.equal(waited.code, 0, `aws ec2 wait instance-terminated failed: ${waited.stderr}`);
  assert.equal(await stateOf(id), 'terminated');

  // A new instance never gets the terminated one's id.
  const next = await awsJson(['run-instances', '--image-id', 'img1', '--count', '1']);
  assert.notEqual(next.Instances[0].InstanceId, id);
});

test('create and delete a key pair', { skip }, async () => {
  const created = await awsJson(['create-key-pair', '--key-name', 'cli-key']);
  assert.equal(created.KeyName, 'cli-key');
  assert.match(created.KeyMaterial, /BEGIN RSA PRIVATE KEY/);
  const listed = await awsJson(['describe-key-pairs', '--key-names', 'cli-key']);
  assert.equal(listed.KeyPairs[0].KeyFingerprint, created.KeyFingerprint);
  const duplicate = await aws(['create-key-pair', '--key-name', 'cli-key']);
  assert.match(duplicate.stderr, /InvalidKeyPair\.Duplicate/);
  await awsJson(['delete-key-pair', '--key-name', 'cli-key']);
  const after = await aws(['describe-key-pairs', '--key-names', 'cli-key']);
  assert.match(after.stderr, /InvalidKeyPair\.NotFound/);
});

test('a wrong secret is refused and launches nothing', { skip }, async () => {
  const before = (await awsJson(['describe-instances'])).Reservations.length;
  const refused = await aws(['run-instances', '--image-id', 'img1', '--count', '1'], { AWS_SECRET_ACCESS_KEY: 'wrong' });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /SignatureDoesNotMatch/);
  const stranger = await aws(['describe-instances'], { AWS_ACCESS_KEY_ID: 'AKIDNOBODY' });
  assert.match(stranger.stderr, /AuthFailure/);
  assert.equal((await awsJson(['describe-instances'])).Reservations.length, before);
});
