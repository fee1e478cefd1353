#!/usr/bin/env node
// deltacloudc: the Deltacloud API from a shell, built on the client.
//
//   deltacloudc <collection> <verb> [id] [--param value ...] [-o table|json|yaml|xml] [--wait]
//
// Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict or state, 4 authentication, 5 back end.
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify as toYaml } from 'yaml';
import { DeltacloudClient, type CallOptions, type Collection, type Params } from './client.js';
import {
  BackendError, CapabilityMissing, Conflict, DeltacloudError, Forbidden, NetworkError, NotFound, Timeout, Unauthorized,
} from './errors.js';
import { Progress, Spinner } from './progress.js';
import { ProfileError, readProfile, saveProfile, type Profile } from './profiles.js';

export const EXIT = { ok: 0, usage: 1, notFound: 2, conflict: 3, auth: 4, backend: 5 } as const;

class UsageError extends Error {}

type Output = 'table' | 'json' | 'yaml' | 'xml';

interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

/** `--name value`, `--name=value`, `-o value`; boolean flags take no value. */
function parseArgs(argv: string[]): Parsed {
  const BOOLEAN = new Set(['wait', 'help', 'h']);
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const bare = arg.replace(/^--?/, '');
    const eq = bare.indexOf('=');
    const name = eq < 0 ? bare : bare.slice(0, eq);
    let value: string;
    if (eq >= 0) value = bare.slice(eq + 1);
    else if (BOOLEAN.has(name)) value = 'true';
    else {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      value = next;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

/** The collections and their verbs beyond list/show/create/destroy (the API's member actions). */
export const COLLECTIONS: Record<string, string[]> = {
  realms: [], hardware_profiles: [], images: [], instances: ['start', 'stop', 'reboot', 'run'], keys: [], metrics: [],
  storage_volumes: ['attach', 'detach'], storage_snapshots: [], buckets: [], blobs: ['put', 'get'], addresses: ['associate', 'disassociate'],
  load_balancers: ['register', 'unregister'], firewalls: ['add-rule', 'delete-rule'], networks: [], subnets: [], network_interfaces: [],
  instance_states: [], drivers: [],
};
const READ_ONLY = new Set(['realms', 'hardware_profiles', 'metrics', 'instance_states', 'drivers']);
const verbsOf = (collection: string) => [...(collection === 'instance_states' || collection === 'drivers' ? ['list'] : READ_ONLY.has(collection) ? ['list', 'show'] : ['list', 'show', 'create', 'destroy']), ...(COLLECTIONS[collection] ?? [])];

const USAGE = `Usage: deltacloudc <collection> <verb> [id] [--param value ...] [options]
       deltacloudc completion bash|zsh
       deltacloudc profile save <name> [--url U] [--user N] [--driver D] [--provider P] [--password-file F]

Collections: ${Object.keys(COLLECTIONS).join(', ')}
Options:
  --url URL            API URL (DELTACLOUD_URL; default http://localhost:3001/api)
  --user NAME          user (DELTACLOUD_USER); the password comes from DELTACLOUD_PASSWORD,
  --password-file F    a file, or a prompt on a terminal, never from the command line
  --driver ID          driver (DELTACLOUD_DRIVER);  --provider ID (DELTACLOUD_PROVIDER)
  --profile NAME       settings from ~/.config/deltacloud/config.json (must not be readable by others)
  -o table|json|yaml|xml   output (table on a terminal, JSON otherwise)
  --wait               instance start/stop/reboot/create: wait for the resulting state
  --help               help for a verb, from the server's OpenAPI document
Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict or state, 4 authentication, 5 back end.`;

/** Where a verb's help comes from: the operation of the server's document. */
const OPERATION_OF: Record<string, (c: string) => [string, string]> = {
  list: (c) => ['get', `/${c}`], show: (c) => ['get', `/${c}/{id}`], create: (c) => ['post', `/${c}`], destroy: (c) => ['delete', `/${c}/{id}`],
};

function operationFor(collection: string, verb: string): [string, string] {
  if (collection === 'blobs') return verb === 'put' ? ['put', '/buckets/{id}/{blob_id}'] : verb === 'get' ? ['get', '/buckets/{id}/{blob_id}/content'] : verb === 'destroy' ? ['delete', '/buckets/{id}/{blob_id}'] : ['get', '/buckets/{id}/{blob_id}'];
  if (collection === 'firewalls' && verb === 'add-rule') return ['post', '/firewalls/{id}/rules'];
  if (collection === 'firewalls' && verb === 'delete-rule') return ['delete', '/firewalls/{id}/{rule_id}'];
  return OPERATION_OF[verb]?.(collection) ?? ['post', `/${collection}/{id}/${verb}`];
}

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

async function verbHelp(client: DeltacloudClient, collection: string, verb: string): Promise<string> {
  const [method, path] = operationFor(collection, verb);
  const document = await client.json<Json>({ method: 'GET', url: `${client.url}/openapi.json` });
  const item = isObject(document.paths) ? document.paths[path] : undefined;
  const op = isObject(item) ? item[method] : undefined;
  if (!isObject(op)) return `deltacloudc ${collection} ${verb}: the driver does not offer ${method.toUpperCase()} ${path}`;
  const lines = [`deltacloudc ${collection} ${verb}${path.includes('{id}') ? ' <id>' : ''}${path.includes('{blob_id}') ? ' <blob>' : ''}  —  ${String(op.summary ?? '')}`, `  ${method.toUpperCase()} ${path}`];
  const params: string[] = [];
  for (const p of Array.isArray(op.parameters) ? op.parameters : []) {
    if (isObject(p) && p.in === 'query' && typeof p.name === 'string') params.push(`  --${p.name}${p.required ? ' (required)' : ''}  ${String(p.description ?? '')}`);
  }
  const body = isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content['application/x-www-form-urlencoded'] : undefined;
  const schema = isObject(body) && isObject(body.schema) ? body.schema : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const [name, s] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
    params.push(`  --${name}${required.includes(name) ? ' (required)' : ''}  ${isObject(s) ? String(s.description ?? '') : ''}`);
  }
  return [...lines, ...(params.length > 0 ? ['Parameters:', ...params] : [])].join('\n');
}

// ------------------------------------------------------------ output

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  const named = (x: unknown) => (isObject(x) ? String(x.id ?? x.rel ?? x.address ?? JSON.stringify(x)) : String(x));
  if (Array.isArray(v)) return v.map(named).join(',');
  return named(v);
}

/** Aligned columns: the scalar fields of the rows, links and nested objects by id. */
export function table(rows: Json[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!).filter((k) => k !== 'href' && k !== 'actions');
  const cells = rows.map((r) => columns.map((c) => scalar(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

function render(value: unknown, output: Output): string {
  if (output === 'json') return JSON.stringify(value, null, 2) + '\n';
  if (output === 'yaml') return toYaml(value);
  const rows = Array.isArray(value) ? value.filter(isObject) : isObject(value) ? [value] : [];
  if (!Array.isArray(value) && isObject(value)) {
    // One resource: one field a line.
    const width = Math.max(...Object.keys(value).map((k) => k.length));
    return Object.entries(value).map(([k, v]) => `${k.padEnd(width)}  ${scalar(v)}`).join('\n') + '\n';
  }
  return table(rows);
}

// ------------------------------------------------------------ settings

async function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let password = '';
  try {
    for await (const chunk of stdin) {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return password;
        if (char === '\u0003') throw new UsageError('cancelled');
        if (char === '\u007f') password = password.slice(0, -1);
        else password += char; // never echoed
      }
    }
    return password;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

const profilesPath = (env: NodeJS.ProcessEnv) => join(env.HOME ?? homedir(), '.config', 'deltacloud', 'config.json');

async function settings(flags: Map<string, string[]>, env: NodeJS.ProcessEnv): Promise<{ url: string; user?: string; password?: string; driver?: string; provider?: string }> {
  const flag = (name: string) => flags.get(name)?.at(-1);
  if (flags.has('password')) throw new UsageError('--password is not accepted: use DELTACLOUD_PASSWORD, --password-file or the prompt');
  const profileName = flag('profile') ?? env.DELTACLOUD_PROFILE;
  const profile: Profile = profileName ? readProfile(profilesPath(env), profileName) : {};
  const url = flag('url') ?? env.DELTACLOUD_URL ?? profile.url ?? 'http://localhost:3001/api';
  const user = flag('user') ?? env.DELTACLOUD_USER ?? profile.user;
  const passwordFile = flag('password-file') ?? profile.passwordFile;
  let password = env.DELTACLOUD_PASSWORD;
  if (password === undefined && passwordFile) password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
  if (password === undefined && user !== undefined && process.stdin.isTTY) password = await promptPassword(`Password for ${user}: `);
  return { url, user, password, driver: flag('driver') ?? env.DELTACLOUD_DRIVER ?? profile.driver, provider: flag('provider') ?? env.DELTACLOUD_PROVIDER ?? profile.provider };
}

// ------------------------------------------------------------ commands

const CONTROL = new Set(['url', 'user', 'password-file', 'driver', 'provider', 'profile', 'o', 'output', 'wait', 'help', 'h', 'content-type', 'meta']);

function paramsFrom(flags: Map<string, string[]>): Params {
  const params: Params = {};
  for (const [name, values] of flags) if (!CONTROL.has(name)) params[name.replaceAll('-', '_')] = values.length === 1 ? values[0]! : values;
  return params;
}

const AFTER_ACTION: Record<string, string> = { start: 'RUNNING', reboot: 'RUNNING', stop: 'STOPPED', create: 'RUNNING' };

function collectionOf(client: DeltacloudClient, name: string): Collection<{ id: string }> | undefined {
  const byName: Record<string, Collection<{ id: string }>> = {
    realms: client.realms, hardware_profiles: client.hardwareProfiles, images: client.images, instances: client.instances, keys: client.keys,
    metrics: client.metrics, storage_volumes: client.storageVolumes, storage_snapshots: client.storageSnapshots, buckets: client.buckets,
    addresses: client.addresses, load_balancers: client.loadBalancers, firewalls: client.firewalls, networks: client.networks,
    subnets: client.subnets, network_interfaces: client.networkInterfaces,
  };
  return byName[name];
}

interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

async function runCommand(client: DeltacloudClient, collection: string, verb: string, args: string[], flags: Map<string, string[]>, output: Output, io: Io): Promise<unknown> {
  const need = (what: string) => {
    const v = args.shift();
    if (v === undefined) throw new UsageError(`deltacloudc ${collection} ${verb}: missing <${what}>`);
    return v;
  };
  const params = paramsFrom(flags);
  const opts: CallOptions = {};
  const wait = flags.has('wait');
  const waitFor = async (id: string, state: string) => {
    const spinner = io.stderr.isTTY ? new Spinner(io.stderr, `waiting for ${id} to be ${state}`) : undefined;
    try {
      return await client.waitForState(id, state, { timeoutMs: 600_000 });
    } finally {
      spinner?.stop();
    }
  };
  if (collection === 'instance_states') return client.instanceStates(opts);
  if (collection === 'drivers') return Object.entries(await client.drivers(opts)).map(([id, d]) => ({ id, name: d.name }));
  if (collection === 'blobs') return blobCommand(client, verb, args, flags, io, need);
  const target = collectionOf(client, collection)!;
  if (output === 'xml' && (verb === 'list' || verb === 'show')) {
    const base = await client.collectionUrl(collection, opts);
    const url = verb === 'show' ? `${base}/${encodeURIComponent(need('id'))}` : base;
    const response = await client.send({ method: 'GET', url, query: verb === 'list' ? params : undefined, headers: { Accept: 'application/xml' } });
    return { xml: await response.text() };
  }
  switch (verb) {
    case 'list': return target.list(params, opts);
    case 'show': return target.get(need('id'), opts);
    case 'create': {
      const created = await target.create(params, opts);
      return wait && collection === 'instances' ? waitFor(created.id, AFTER_ACTION.create!) : created;
    }
    case 'destroy': {
      const id = need('id');
      await target.destroy(id, opts);
      return { id, destroyed: true };
    }
    case 'start': case 'stop': case 'reboot': {
      const id = need('id');
      const instance = await client.instances.act(id, verb, opts);
      return wait ? waitFor(id, AFTER_ACTION[verb]!) : instance;
    }
    case 'run': return (await client.instances.run(need('id'), { ...params, cmd: String(params.cmd ?? '') }, opts)).instance;
    case 'attach': return client.storageVolumes.attach(need('id'), { instance_id: String(params.instance_id ?? ''), device: String(params.device ?? '') }, opts);
    case 'detach': return client.storageVolumes.detach(need('id'), opts);
    case 'associate': {
      const id = need('id');
      await client.addresses.associate(id, { instance_id: String(params.instance_id ?? '') }, opts);
      return client.addresses.get(id, opts);
    }
    case 'disassociate': {
      const id = need('id');
      await client.addresses.disassociate(id, opts);
      return client.addresses.get(id, opts);
    }
    case 'register': return client.loadBalancers.register(need('id'), { instance_id: String(params.instance_id ?? '') }, opts);
    case 'unregister': return client.loadBalancers.unregister(need('id'), { instance_id: String(params.instance_id ?? '') }, opts);
    case 'add-rule': return client.firewalls.addRule(need('id'), params, opts);
    case 'delete-rule': {
      const id = need('id');
      const rule = need('rule');
      await client.firewalls.deleteRule(id, rule, opts);
      return { id, rule, destroyed: true };
    }
    default: throw new UsageError(`deltacloudc ${collection}: unknown verb '${verb}' (verbs: ${verbsOf(collection).join(', ')})`);
  }
}

async function blobCommand(client: DeltacloudClient, verb: string, args: string[], flags: Map<string, string[]>, io: Io, need: (what: string) => string): Promise<unknown> {
  const bucket = need('bucket');
  const blob = need('blob');
  switch (verb) {
    case 'show': return client.blobs.get(bucket, blob);
    case 'destroy': {
      await client.blobs.destroy(bucket, blob);
      return { bucket, blob, destroyed: true };
    }
    case 'put': {
      const file = args.shift() ?? '-';
      const total = file === '-' ? undefined : statSync(file).size;
      const progress = io.stderr.isTTY ? new Progress(io.stderr, total) : undefined;
      const metadata: Record<string, string> = {};
      for (const pair of flags.get('meta') ?? []) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError('--meta takes name=value');
        metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      try {
        return await client.blobs.put(bucket, blob, file === '-' ? process.stdin : createReadStream(file), {
          contentType: flags.get('content-type')?.at(-1), metadata, onProgress: progress ? (n) => progress.update(n) : undefined,
        });
      } finally {
        progress?.done();
      }
    }
    case 'get': {
      const file = args.shift() ?? '-';
      const progress = io.stderr.isTTY ? new Progress(io.stderr, undefined) : undefined;
      try {
        const stream = await client.blobs.download(bucket, blob, { onProgress: progress ? (n, t) => progress.update(n, t) : undefined });
        await pipeline(Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>), file === '-' ? io.stdout : createWriteStream(file));
      } finally {
        progress?.done();
      }
      return undefined;
    }
    default: throw new UsageError(`deltacloudc blobs: unknown verb '${verb}' (verbs: show, put, get, destroy)`);
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ProfileError) return EXIT.usage;
  if (error instanceof NotFound) return EXIT.notFound;
  if (error instanceof Conflict || error instanceof CapabilityMissing || error instanceof Timeout) return EXIT.conflict;
  if (error instanceof Unauthorized || error instanceof Forbidden) return EXIT.auth;
  if (error instanceof BackendError || error instanceof NetworkError) return EXIT.backend;
  if (error instanceof DeltacloudError && error.status === 400) return EXIT.usage;
  return EXIT.backend;
}

export function completion(shell: string): string {
  const collections = Object.keys(COLLECTIONS);
  if (shell === 'bash') {
    const cases = collections.map((c) => `    ${c}) COMPREPLY=( $(compgen -W "${verbsOf(c).join(' ')}" -- "$cur") ) ;;`).join('\n');
    return `# bash completion for deltacloudc: source <(deltacloudc completion bash)
_deltacloudc() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=( $(compgen -W "${collections.join(' ')} completion" -- "$cur") ); return; fi
  if [ "$COMP_CWORD" -eq 2 ]; then
  case "\${COMP_WORDS[1]}" in
${cases}
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
  esac; fi
}
complete -F _deltacloudc deltacloudc
`;
  }
  if (shell === 'zsh') {
    const cases = collections.map((c) => `    ${c}) _values verb ${verbsOf(c).join(' ')} ;;`).join('\n');
    return `#compdef deltacloudc
# zsh completion for deltacloudc: deltacloudc completion zsh > "\${fpath[1]}/_deltacloudc"
_deltacloudc() {
  if (( CURRENT == 2 )); then _values collection ${collections.join(' ')} completion; return; fi
  if (( CURRENT == 3 )); then
  case $words[2] in
${cases}
    completion) _values shell bash zsh ;;
  esac; fi
}
_deltacloudc "$@"
`;
  }
  throw new UsageError('completion: bash or zsh');
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { positional, flags } = parseArgs(argv);
    const [collection, verb, ...rest] = positional;
    if (collection === 'completion') {
      io.stdout.write(completion(verb ?? ''));
      return EXIT.ok;
    }
    if (collection === 'profile') {
      const name = rest[0];
      if (verb !== 'save' || !name) throw new UsageError('Usage: deltacloudc profile save <name> [--url U] [--user N] [--driver D] [--provider P] [--password-file F]');
      const flag = (n: string) => flags.get(n)?.at(-1);
      saveProfile(profilesPath(env), name, { url: flag('url'), user: flag('user'), driver: flag('driver'), provider: flag('provider'), passwordFile: flag('password-file') });
      io.stdout.write(`saved profile ${name} in ${profilesPath(env)}\n`);
      return EXIT.ok;
    }
    if (!collection || (!verb && (flags.has('help') || flags.has('h')))) {
      io.stdout.write(USAGE + '\n');
      return collection || flags.has('help') || flags.has('h') ? EXIT.ok : EXIT.usage;
    }
    if (!(collection in COLLECTIONS)) throw new UsageError(`unknown collection '${collection}'\n${USAGE}`);
    if (!verb || !verbsOf(collection).includes(verb) && !(collection === 'blobs' && ['show', 'destroy'].includes(verb))) {
      throw new UsageError(`deltacloudc ${collection}: ${verb ? `unknown verb '${verb}'` : 'missing verb'} (verbs: ${verbsOf(collection).join(', ')})`);
    }
    const outputFlag = flags.get('o')?.at(-1) ?? flags.get('output')?.at(-1);
    if (outputFlag !== undefined && !['table', 'json', 'yaml', 'xml'].includes(outputFlag)) throw new UsageError(`-o: table, json, yaml or xml, not '${outputFlag}'`);
    const output: Output = outputFlag === 'table' || outputFlag === 'json' || outputFlag === 'yaml' || outputFlag === 'xml' ? outputFlag : io.stdout.isTTY ? 'table' : 'json';
    const client = new DeltacloudClient(await settings(flags, env));
    if (flags.has('help') || flags.has('h')) {
      io.stdout.write((await verbHelp(client, collection, verb)) + '\n');
      return EXIT.ok;
    }
    const result = await runCommand(client, collection, verb, rest, flags, output, io);
    if (result !== undefined) {
      if (output === 'xml') io.stdout.write(isObject(result) && typeof result.xml === 'string' ? result.xml + '\n' : '<!-- -o xml: list and show only -->\n');
      else io.stdout.write(render(result, output));
    }
    return EXIT.ok;
  } catch (error) {
    io.stderr.write(`deltacloudc: ${error instanceof Error ? error.message.split('\n').join('\n') : String(error)}\n`);
    return exitCodeOf(error);
  }
}

// Run when executed (not when imported by tests).
if (process.argv[1] && /deltacloudc$|cli\.(js|ts)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(exitOnceFlushed, () => exitOnceFlushed(EXIT.backend));
}

/** Exits as soon as the output is written: fetch's idle keep-alive sockets would otherwise hold the process open for a while. */
function exitOnceFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

