// The mock's static parts: accepted credentials, realms, hardware profiles
// (mock-driver.md §2, §4.1, §4.2). Not stored, so they survive any reset.
import type { RequestContext } from '../../core/driver.js';
import { AuthenticationFailure, DeltacloudError, NotSupported, ProviderError, ProviderTimeout } from '../../core/errors.js';
import { profileAdmits } from '../../core/filters.js';
import type { HardwareProfile, Realm } from '../../core/model.js';

export const MOCK_USER = 'mockuser';
export const MOCK_PASSWORD = 'mockpassword';

/**
 * Checks the request's credentials; returns the user name (the owner of what
 * it creates). The public ones, unless the server already checked the
 * operator's (a mock enabled on a server whose own driver is another).
 */
export function authenticate(ctx: RequestContext): string {
  const { user, password } = ctx.requireCredentials();
  if (ctx.operatorAuthenticated) return user;
  if (user !== MOCK_USER || password !== MOCK_PASSWORD) throw new AuthenticationFailure();
  return user;
}

export const REALMS: readonly Realm[] = [
  { id: 'us', name: 'United States', state: 'AVAILABLE' },
  { id: 'eu', name: 'Europe', state: 'AVAILABLE' },
];

/** Realm ids that make client libraries' error tests fail on demand (mock-driver.md §6.1). */
export function throwRealmTestError(id: string | undefined): void {
  switch (id) {
    case '500': throw new DeltacloudError(500, 'DeltacloudErrorMessage');
    case '501': throw new NotSupported('NotImplementedMessage');
    case '502': throw new ProviderError('ProviderErrorMessage');
    case '504': throw new ProviderTimeout('ProviderTimeoutMessage');
  }
}

export const HARDWARE_PROFILES: readonly HardwareProfile[] = [
  {
    id: 'm1-small',
    name: 'm1-small',
    properties: [
      { name: 'cpu', kind: 'fixed', value: 1 },
      { name: 'memory', kind: 'fixed', value: 1.7 * 1024 },
      { name: 'storage', kind: 'fixed', value: 160 },
      { name: 'architecture', kind: 'fixed', value: 'i386' },
    ],
  },
  {
    id: 'm1-large',
    name: 'm1-large',
    properties: [
      { name: 'cpu', kind: 'range', value: 1, first: 1, last: 6 },
      { name: 'memory', kind: 'range', value: 10240, first: 7680, last: 15360 },
      { name: 'storage', kind: 'enum', value: 850, values: [850, 1024] },
      { name: 'architecture', kind: 'fixed', value: 'x86_64' },
    ],
  },
  {
    id: 'm1-xlarge',
    name: 'm1-xlarge',
    properties: [
      { name: 'cpu', kind: 'fixed', value: 4 },
      { name: 'memory', kind: 'range', value: 12288, first: 12288, last: 32768 },
      { name: 'storage', kind: 'enum', value: 1024, values: [1024, 2048, 4096] },
      { name: 'architecture', kind: 'fixed', value: 'x86_64' },
    ],
  },
  { id: 'opaque', name: 'opaque', properties: [] },
];

export const HARDWARE_PROFILE_IDS: readonly string[] = HARDWARE_PROFILES.map((p) => p.id);

/** Whether a profile's architecture property admits `arch` (profiles without one admit nothing). */
export function profileAdmitsArchitecture(profile: HardwareProfile, arch: string): boolean {
  return profileAdmits(profile, 'architecture', arch);
}

/** Deep copies, so a caller mutating a result cannot change the catalogue. */
export function copyProfile(p: HardwareProfile): HardwareProfile {
  return { ...p, properties: p.properties.map((q) => (q.values ? { ...q, values: [...q.values] } : { ...q })) };
}
