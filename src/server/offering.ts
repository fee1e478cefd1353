// Which drivers this server offers, and to whom. The operator decides:
//   * by default, the server's own driver (`-i`) plus every driver that only
//     reaches remote provider APIs with the client's own credentials through
//     the provider allow-list (DriverDeclaration.reach === 'remote');
//   * an explicit list (`drivers.enabled`, --enable-drivers, DELTACLOUD_DRIVERS)
//     replaces those remote defaults.
// A driver reaching the host's or the operator's resources (reach 'host') is
// served only to clients presenting the Basic credentials the operator
// configured for it, compared in constant time here, before any call reaches
// the driver; the server refuses to start with one offered and no credentials.
// The exception is a demo driver (the mock, with its public credentials) when
// it is the server's own driver.
import type { Credentials, Driver, DriverDeclaration, DriverFactory, RequestContext } from '../core/driver.js';
import { AuthenticationFailure } from '../core/errors.js';
import { sameSecret } from '../core/secrets.js';
import { ConfigError } from './config.js';

/** What the offering needs from the server's configuration. */
export interface OfferingConfig {
  driver: string;
  enabledDrivers?: readonly string[];
  driverOptions: Record<string, Record<string, unknown>>;
  /** Operator credentials per host-reaching driver (see operatorCredentialsFrom). */
  operatorCredentials: Record<string, Credentials>;
}

/** The environment variables naming a driver's operator credentials, e.g. DELTACLOUD_LIBVIRT_USER. */
export function credentialVariables(driverId: string): { user: string; password: string } {
  const prefix = `DELTACLOUD_${driverId.toUpperCase()}`;
  return { user: `${prefix}_USER`, password: `${prefix}_PASSWORD` };
}

/**
 * Operator credentials per driver: `drivers.<id>.user`/`password` of the
 * configuration file (which must then be chmod 600), overridden by
 * DELTACLOUD_<ID>_USER/PASSWORD. Both or neither, never empty.
 */
export function operatorCredentialsFrom(
  driverOptions: Record<string, Record<string, unknown>>, driverIds: readonly string[], env: NodeJS.ProcessEnv,
): Record<string, Credentials> {
  const result: Record<string, Credentials> = {};
  for (const id of driverIds) {
    const vars = credentialVariables(id);
    const fromFile = driverOptions[id] ?? {};
    const user = env[vars.user] ?? fromFile.user;
    const password = env[vars.password] ?? fromFile.password;
    if (user === undefined && password === undefined) continue;
    if (typeof user !== 'string' || typeof password !== 'string' || user === '' || password === '') {
      throw new ConfigError(`Operator credentials of driver '${id}' need a non-empty user and password (drivers.${id}.user/password or ${vars.user}/${vars.password})`);
    }
    result[id] = { user, password };
  }
  return result;
}

export class DriverOffering {
  /** Declarations of the offered drivers, computed once from the operator's options. */
  readonly declarations: readonly DriverDeclaration[];
  private readonly gates = new Map<string, Credentials>();

  constructor(factories: readonly DriverFactory[], config: OfferingConfig) {
    const known = factories.map((f) => f.declaration.id);
    for (const id of [config.driver, ...(config.enabledDrivers ?? [])]) {
      if (!known.includes(id)) throw new ConfigError(`Unknown driver '${id}' (available: ${known.join(', ')})`);
    }
    const offered = factories.filter((f) => f.declaration.id === config.driver ||
      (config.enabledDrivers ? config.enabledDrivers.includes(f.declaration.id) : f.declaration.reach === 'remote'));
    this.declarations = offered.map((f) => f.declare(config.driverOptions[f.declaration.id] ?? {}));
    for (const d of this.declarations) {
      const credentials = config.operatorCredentials[d.id];
      if (d.reach !== 'host') continue;
      if (credentials) this.gates.set(d.id, credentials);
      else if (!(d.demo && d.id === config.driver)) {
        const vars = credentialVariables(d.id);
        throw new ConfigError(
          `Driver '${d.id}' reaches resources of this host, so it is served only with operator credentials: ` +
          `set drivers.${d.id}.user and drivers.${d.id}.password in the configuration file (chmod 600), ` +
          `or ${vars.user} and ${vars.password}`,
        );
      }
    }
  }

  offers(id: string): boolean {
    return this.declarations.some((d) => d.id === id);
  }

  declarationOf(id: string): DriverDeclaration | undefined {
    return this.declarations.find((d) => d.id === id);
  }

  /** The driver as requests see it: behind the operator-credential check when it has one. */
  guard(driver: Driver): Driver {
    const expected = this.gates.get(driver.declaration.id);
    return expected ? gated(driver, expected) : driver;
  }
}

/** Throws 401 unless the request carries exactly the operator's credentials. */
function checkOperatorCredentials(ctx: RequestContext, expected: Credentials): void {
  const given = ctx.requireCredentials();
  // Both compared, always: how far a guess got shows in neither the answer nor its timing.
  const userMatches = sameSecret(given.user, expected.user);
  const passwordMatches = sameSecret(given.password, expected.password);
  if (!userMatches || !passwordMatches) throw new AuthenticationFailure();
}

/** Every operation of `driver` behind the operator-credential check (revision, syncRevision and close are the server's own). */
function gated(driver: Driver, expected: Credentials): Driver {
  const wrapped: Record<string, unknown> = { ...driver };
  for (const [name, value] of Object.entries(driver)) {
    if (typeof value !== 'function' || name === 'revision' || name === 'syncRevision' || name === 'close') continue;
    const op = value as (ctx: RequestContext, ...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (ctx: RequestContext, ...args: unknown[]) => {
      checkOperatorCredentials(ctx, expected);
      return op.call(driver, ctx.asOperatorAuthenticated(), ...args);
    };
  }
  return wrapped as unknown as Driver;
}
