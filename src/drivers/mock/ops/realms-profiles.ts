// Realms (credentials checked, error test hooks) and hardware profiles (static, no credentials).
import type { Driver } from '../../../core/driver.js';
import {
  authenticate, copyProfile, HARDWARE_PROFILES, profileAdmitsArchitecture, REALMS, throwRealmTestError,
} from '../catalog.js';
import { applyFilters, byId } from './filters.js';

type Ops = Pick<Driver, 'realms' | 'realm' | 'hardware_profiles' | 'hardware_profile'>;

export function realmAndProfileOperations(): Ops {
  return {
    realms: async (ctx, filter) => {
      authenticate(ctx);
      throwRealmTestError(filter.id);
      return applyFilters(REALMS.map((r) => ({ ...r })), filter, byId);
    },
    realm: async (ctx, id) => {
      authenticate(ctx);
      throwRealmTestError(id);
      const realm = REALMS.find((r) => r.id === id);
      return realm && { ...realm };
    },
    hardware_profiles: async (_ctx, filter) => {
      let profiles = applyFilters(HARDWARE_PROFILES.map(copyProfile), filter, byId);
      const arch = filter.architecture;
      if (arch !== undefined) profiles = profiles.filter((p) => profileAdmitsArchitecture(p, arch));
      return profiles;
    },
    hardware_profile: async (_ctx, id) => {
      const profile = HARDWARE_PROFILES.find((p) => p.id === id);
      return profile && copyProfile(profile);
    },
  };
}
