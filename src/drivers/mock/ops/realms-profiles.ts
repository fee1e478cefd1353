// Realms (credentials checked, error test hooks) and hardware profiles (static, no credentials).
import type { Driver } from '../../../core/driver.js';
import {
  authenticate, copyProfile, HARDWARE_PROFILES, REALMS, throwRealmTestError,
} from '../catalog.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver, 'realms' | 'realm' | 'hardware_profiles' | 'hardware_profile'>;

export function realmAndProfileOperations(): Ops {
  return {
    realms: async (ctx, filter) => {
      authenticate(ctx);
      throwRealmTestError(filter.id);
      return applyFilters('realms', REALMS.map((r) => ({ ...r })), filter);
    },
    realm: async (ctx, id) => {
      authenticate(ctx);
      throwRealmTestError(id);
      const realm = REALMS.find((r) => r.id === id);
      return realm && { ...realm };
    },
    hardware_profiles: async (_ctx, filter) => {
      return applyFilters('hardware_profiles', HARDWARE_PROFILES.map(copyProfile), filter);
    },
    hardware_profile: async (_ctx, id) => {
      const profile = HARDWARE_PROFILES.find((p) => p.id === id);
      return profile && copyProfile(profile);
    },
  };
}
