// `deltacloudd profiles add|list|remove` and `deltacloudd tokens
// create|list|revoke`: the operator's side of running the server for a team.
// Secrets come from a prompt (no echo), an environment variable or a file,
// never from the command line (which other users can see in `ps`).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DRIVER_FACTORIES } from '../../drivers/index.js';
import { ConfigError, parseCommandLine } from '../config.js';
import { PROFILE_NAME_SHAPE, type ConfigProfileDeclaration } from './config-profiles.js';
import { loadOrCreateSecretBox } from './secret-box.js';
import { openTeamStore } from './open-store.js';
import { StoreConflict, type Scope, type TeamStore } from './store.js';
import { durationMs, ec2AccessKeyId, ec2SecretKey, hashSecret, newToken } from './tokens.js';

export const TEAM_COMMANDS = ['profiles', 'tokens'];

const PROFILES_USAGE = `Usage:
  deltacloudd profiles add NAME --driver DRIVER [--provider PROVIDER] [--user USER]
                           [--password-env VAR | --password-file FILE]
      (without --password-env/--password-file the password is asked for; the user
       and password are the cloud's, e.g. an AWS access key id and secret key)
  deltacloudd profiles list [-c CONFIG]   (-c: also the profiles of that configuration file)
  deltacloudd profiles remove NAME`;

const TOKENS_USAGE = `Usage:
  deltacloudd tokens create --profile NAME [--scope read|write] [--expires 30d|12h|90m] [--name LABEL] [-c CONFIG]
      (prints the token once; default scope: read; default: never expires; -c: the server's
       configuration file, for a profile declared in its team.profiles)
  deltacloudd tokens list
  deltacloudd tokens revoke ID`;

/** Writes for the operator (stdout) and for errors (stderr); tests capture them. */
export interface Terminal {
  out(line: string): void;
  err(line: string): void;
  /** Reads a secret without echoing it. */
  secret(prompt: string): Promise<string>;
}

const NAME_SHAPE = PROFILE_NAME_SHAPE;

async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    // Piped in: the first line.
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(typed));
        if (ch === '\u0003') return finish(() => reject(new ConfigError('cancelled')));
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    };
    const finish = (settle: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      settle();
    };
    stdin.on('data', onData);
  });
}

export const consoleTerminal: Terminal = { out: (l) => console.log(l), err: (l) => console.error(l), secret: readSecret };

function secretFrom(values: { 'password-env'?: string; 'password-file'?: string }, env: NodeJS.ProcessEnv, terminal: Terminal): Promise<string> | string {
  if (values['password-env'] !== undefined) {
    const value = env[values['password-env']];
    if (!value) throw new ConfigError(`The environment variable ${values['password-env']} is not set`);
    return value;
  }
  if (values['password-file'] !== undefined) {
    try {
      return readFileSync(values['password-file'], 'utf8').split(/\r?\n/)[0] ?? '';
    } catch {
      throw new ConfigError(`Cannot read ${values['password-file']}`);
    }
  }
  return terminal.secret('Password (not echoed): ');
}

/** Profiles declared in the server's configuration file (`-c`), by name. */
type Declared = ReadonlyMap<string, ConfigProfileDeclaration>;

async function profiles(args: string[], store: TeamStore, dataDir: string, declared: Declared, env: NodeJS.ProcessEnv, terminal: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { driver: { type: 'string' }, provider: { type: 'string' }, user: { type: 'string' }, 'password-env': { type: 'string' }, 'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [verb, name, ...extra] = positionals;
  if (values.help || !verb) return void terminal.out(PROFILES_USAGE), values.help ? 0 : 2;
  if (extra.length > 0) throw new ConfigError(`Unexpected arguments: ${extra.join(' ')} (secrets are never taken from the command line)`);
  switch (verb) {
    case 'list':
      terminal.out(['NAME', 'DRIVER', 'PROVIDER', 'CREDENTIALS', 'CREATED'].join('\t'));
      for (const p of await store.profiles()) {
        terminal.out([p.name, p.driver, p.provider ?? '-', p.sealedCredentials ? 'sealed' : 'none', p.createdAt].join('\t'));
      }
      for (const p of declared.values()) {
        const secret = p.passwordEnv !== undefined ? `env ${p.passwordEnv}` : p.passwordFile !== undefined ? `file ${p.passwordFile}` : 'none';
        terminal.out([p.name, p.driver, p.provider ?? '-', secret, 'config file'].join('\t'));
      }
      return 0;
    case 'add': {
      if (!name || !NAME_SHAPE.test(name)) throw new ConfigError('profiles add needs a NAME (letters, digits, . _ -)');
      const driver = values.driver?.toLowerCase();
      const known = DRIVER_FACTORIES.map((f) => f.declaration.id);
      if (!driver || !known.includes(driver)) throw new ConfigError(`profiles add needs --driver, one of ${known.join(', ')}`);
      if (await store.profile(name)) throw new ConfigError(`Profile '${name}' exists already; remove it first`);
      let sealedCredentials: string | undefined;
      if (values.user !== undefined) {
        const password = await secretFrom(values, env, terminal);
        if (!password) throw new ConfigError('The password is empty');
        const { box, created } = loadOrCreateSecretBox(dataDir, env);
        if (created) terminal.err(`Created the secret key file ${created} (0600): keep it, the profiles cannot be read without it`);
        sealedCredentials = box.seal(JSON.stringify({ user: values.user, password }), name);
      } else if (values['password-env'] !== undefined || values['password-file'] !== undefined) {
        throw new ConfigError('A password needs --user');
      }
      try {
        await store.addProfile({ name, driver, provider: values.provider, sealedCredentials, createdAt: new Date().toISOString() });
      } catch (error) {
        if (error instanceof StoreConflict) throw new ConfigError(error.message);
        throw error;
      }
      terminal.out(`Profile '${name}' added (driver ${driver}${values.provider ? `, provider ${values.provider}` : ''})`);
      return 0;
    }
    case 'remove': {
      if (!name) throw new ConfigError('profiles remove needs a NAME');
      if (!(await store.removeProfile(name))) return void terminal.err(`No profile '${name}'`), 1;
      // Revoked, so that a profile added again under this name does not bring them back.
      const at = new Date().toISOString();
      const orphans = (await store.tokens()).filter((t) => t.profile === name && !t.revokedAt);
      for (const t of orphans) await store.revokeToken(t.id, at);
      terminal.out(`Profile '${name}' removed; its ${orphans.length} token(s) revoked`);
      return 0;
    }
    default:
      terminal.err(PROFILES_USAGE);
      return 2;
  }
}

async function tokens(args: string[], store: TeamStore, dataDir: string, declared: Declared, env: NodeJS.ProcessEnv, terminal: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { profile: { type: 'string' }, scope: { type: 'string' }, expires: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [verb, id, ...extra] = positionals;
  if (values.help || !verb) return void terminal.out(TOKENS_USAGE), values.help ? 0 : 2;
  if (extra.length > 0) throw new ConfigError(`Unexpected arguments: ${extra.join(' ')}`);
  switch (verb) {
    case 'create': {
      if (!values.profile || !(declared.has(values.profile) || await store.profile(values.profile))) throw new ConfigError(`tokens create needs --profile, the name of an existing profile`);
      const scopeText = values.scope ?? 'read';
      if (scopeText !== 'read' && scopeText !== 'write') throw new ConfigError('--scope must be read or write');
      const scope: Scope = scopeText;
      let expiresAt: string | undefined;
      if (values.expires !== undefined) {
        const ms = durationMs(values.expires);
        if (ms === undefined) throw new ConfigError(`--expires must be a duration such as 30d, 12h or 90m, got '${values.expires}'`);
        expiresAt = new Date(Date.now() + ms).toISOString();
      }
      if (values.name !== undefined && !NAME_SHAPE.test(values.name)) throw new ConfigError('--name: letters, digits, . _ - (at most 64)');
      const made = newToken();
      await store.addToken({
        id: made.id, name: values.name, profile: values.profile, scope, secretHash: hashSecret(made.secret), createdAt: new Date().toISOString(), expiresAt,
      });
      const { box } = loadOrCreateSecretBox(dataDir, env);
      terminal.out(`Token ${made.id} (profile ${values.profile}, scope ${scope}${expiresAt ? `, expires ${expiresAt}` : ''}). It is shown only now:`);
      terminal.out(made.token);
      terminal.out(`EC2 front end access key: ${ec2AccessKeyId(made.id)}  secret key: ${ec2SecretKey(box, made.id)}`);
      return 0;
    }
    case 'list': {
      terminal.out(['ID', 'NAME', 'PROFILE', 'SCOPE', 'CREATED', 'EXPIRES', 'STATE'].join('\t'));
      const now = Date.now();
      for (const t of await store.tokens()) {
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active';
        terminal.out([t.id, t.name ?? '-', t.profile, t.scope, t.createdAt, t.expiresAt ?? 'never', state].join('\t'));
      }
      return 0;
    }
    case 'revoke':
      if (!id) throw new ConfigError('tokens revoke needs an ID (see tokens list)');
      if (!(await store.revokeToken(id, new Date().toISOString()))) return void terminal.err(`No active token '${id}'`), 1;
      terminal.out(`Token ${id} revoked`);
      return 0;
    default:
      terminal.err(TOKENS_USAGE);
      return 2;
  }
}

/** Runs `profiles …` or `tokens …` against the team store of the server's data directory. */
export async function runTeamCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, terminal: Terminal = consoleTerminal): Promise<number> {
  const [command, ...args] = argv;
  // The server's configuration file, for the profiles it declares (the other options are the subcommand's).
  const at = args.findIndex((a) => a === '-c' || a === '--config');
  const configFile = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && configFile === undefined) throw new ConfigError(`${args[at]} needs a FILE`);
  const rest = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
  const config = parseCommandLine(configFile === undefined ? [] : ['-c', configFile], env).config;
  const dataDir = config.dataDir;
  const declared = new Map(config.team.profiles.map((p) => [p.name, p]));
  const store = await openTeamStore(config);
  try {
    return command === 'profiles' ? await profiles(rest, store, dataDir, declared, env, terminal) : await tokens(rest, store, dataDir, declared, env, terminal);
  } catch (error) {
    if (error instanceof TypeError && 'code' in error) throw new ConfigError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}
