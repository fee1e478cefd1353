// Hostile Describe* input against the real server (`-f deltacloud,ec2`):
// wildcard patterns built to make a backtracking matcher explode, filter and
// parameter names that address Object.prototype, and oversized filter sets.
// Every one must be a fast EC2 error document (400) or a correct answer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeRegionsCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { startServer, type TestServer } from '../../helpers/server.js';
import { ec2Client, get, postForm, presignedUrl, type RawAnswer } from './helpers.js';

let server: TestServer;
let ec2: EC2Client;

before(async () => {
  server = await startServer({ args: ['-f', 'deltacloud,ec2'] });
  ec2 = ec2Client(server.port);
  await ec2.send(new DescribeRegionsCommand({}));
});
after(async () => {
  ec2?.destroy();
  await server?.stop();
});

/** Launches an instance named `name` (its Name tag) and answers its id. */
async function launchNamed(name: string): Promise<string> {
  const { Instances = [] } = await ec2.send(new RunInstancesCommand({
    ImageId: 'img1', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
  }));
  return Instances[0]!.InstanceId!;
}

/** DescribeInstances with these filters (name → values), as a signed form POST. */
function describeInstances(filters: Array<[string, string[]]>): Promise<RawAnswer> {
  const params: Record<string, string> = { Action: 'DescribeInstances' };
  filters.forEach(([name, values], n) => {
    params[`Filter.${n + 1}.Name`] = name;
    values.forEach((v, m) => (params[`Filter.${n + 1}.Value.${m + 1}`] = v));
  });
  return postForm(server.port, params);
}

const instanceIds = (answer: RawAnswer) => [...answer.text.matchAll(/<instanceId>([^<]+)<\/instanceId>/g)].map((m) => m[1]);

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work;
  return { value, ms: performance.now() - start };
}

test('a wildcard pattern built to backtrack answers at once and does not hold up other requests', async () => {
  // `*?` eleven times then a character that never matches: as a RegExp, ~4 s per 30-character name.
  await launchNamed('a'.repeat(30));
  const hostile = timed(describeInstances([['tag:Name', [`${'*?'.repeat(11)}x`]]]));
  await new Promise((r) => setTimeout(r, 20));
  const simple = await timed(postForm(server.port, { Action: 'DescribeRegions' }));
  const { value: answer, ms } = await hostile;
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(instanceIds(answer), []);
  // Well under the ~4 s a backtracking match would take, with room for a loaded CI machine (712 ms seen there).
  assert.ok(ms < 2_000, `the hostile request took ${Math.round(ms)} ms`);
  assert.equal(simple.value.status, 200);
  assert.ok(simple.ms < 2_000, `a concurrent DescribeRegions took ${Math.round(simple.ms)} ms`);
});

test('wildcards still select: * any run, ? one character, \\ escapes', async () => {
  const id = await launchNamed('web*1?');
  for (const pattern of ['web*', 'w?b\\*1\\?', '*\\*1?', '*1\\?']) {
    const answer = await describeInstances([['tag:Name', [pattern]]]);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(instanceIds(answer), [id], pattern);
  }
  for (const pattern of ['web\\*2*', 'web?2?', 'web*1?x', 'web1?']) {
    assert.deepEqual(instanceIds(await describeInstances([['tag:Name', [pattern]]])), [], pattern);
  }
});

test('filter names that are no filter (__proto__, constructor, toString) are InvalidParameterValue, 400', async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const answer = await describeInstances([[name, ['*']]]);
    assert.equal(answer.status, 400, `${name}: ${answer.text}`);
    assert.equal(answer.code, 'InvalidParameterValue', name);
    assert.match(answer.text, /<Response>\s*<Errors>\s*<Error>\s*<Code>InvalidParameterValue<\/Code>/);
  }
  // A tag key is anything; one that no instance has selects none (not Object.prototype's members).
  for (const name of ['tag:__proto__', 'tag:constructor', 'tag:toString']) {
    const answer = await describeInstances([[name, ['*']]]);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(instanceIds(answer), [], name);
  }
});

test('parameter names addressing a prototype are refused (form body and query string); later requests unaffected', async () => {
  for (const name of ['__proto__', 'Filter.1.__proto__', 'TagSpecification.1.Tag.1.constructor', 'prototype']) {
    const form = await postForm(server.port, Object.fromEntries([['Action', 'DescribeInstances'], [name, 'x']]));
    assert.equal(form.status, 400, `${name}: ${form.text}`);
    assert.equal(form.code, 'UnknownParameter', name);
  }
  const query = await get(await presignedUrl(server.port, { Action: 'DescribeRegions', 'Filter.1.constructor': 'x' }));
  assert.equal(query.status, 400, query.text);
  assert.equal(query.code, 'UnknownParameter');
  const regions = await postForm(server.port, { Action: 'DescribeRegions' });
  assert.equal(regions.status, 200);
  assert.match(regions.text, /<regionName>us-east-1<\/regionName>/);
});

test('filter counts and lengths are bounded: 50 filters, 200 values, 256 characters', async () => {
  // (The limits' product would exceed the 1 MB body limit: each bound on its own.)
  const longest = `inst${'*'.repeat(252)}`;
  const manyAtLimit = await describeInstances(Array.from({ length: 50 }, () => ['instance-id', [longest, 'x']]));
  assert.equal(manyAtLimit.status, 200, manyAtLimit.text);
  assert.ok(instanceIds(manyAtLimit).includes('inst0'));
  const valuesAtLimit = await describeInstances([['instance-id', Array.from({ length: 200 }, (_, n) => `inst${n}`)]]);
  assert.equal(valuesAtLimit.status, 200, valuesAtLimit.text);
  assert.ok(instanceIds(valuesAtLimit).includes('inst0'));

  const manyFilters = await describeInstances(Array.from({ length: 51 }, () => ['instance-id', ['*']]));
  assert.equal(manyFilters.status, 400);
  assert.equal(manyFilters.code, 'FilterLimitExceeded');
  const manyValues = await describeInstances([['instance-id', Array.from({ length: 201 }, (_, n) => `inst${n}`)]]);
  assert.equal(manyValues.status, 400);
  assert.equal(manyValues.code, 'FilterLimitExceeded');
  const longValue = await describeInstances([['instance-id', ['*'.repeat(257)]]]);
  assert.equal(longValue.status, 400);
  assert.equal(longValue.code, 'InvalidParameterValue');
  const longName = await describeInstances([[`tag:${'k'.repeat(253)}`, ['*']]]);
  assert.equal(longName.status, 400);
  assert.equal(longName.code, 'InvalidParameterValue');
});

test('matching work per request has a ceiling: long names and many patterns end in FilterLimitExceeded, fast', async () => {
  await launchNamed('a'.repeat(100_000));
  const { value: answer, ms } = await timed(describeInstances([['tag:Name', Array.from({ length: 200 }, () => `*${'a'.repeat(254)}b`)]]));
  assert.equal(answer.status, 400, answer.text.slice(0, 300));
  assert.equal(answer.code, 'FilterLimitExceeded');
  assert.ok(ms < 2000, `took ${Math.round(ms)} ms`);
  const simple = await postForm(server.port, { Action: 'DescribeRegions' });
  assert.equal(simple.status, 200);
});
