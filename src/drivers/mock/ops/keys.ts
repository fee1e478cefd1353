// Keys (mock-driver.md §6.4): generated key pairs are fake but well shaped.
import type { Driver } from '../../../core/driver.js';
import { Forbidden, NotFound } from '../../../core/errors.js';
import type { Key } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import { mockFingerprint, mockPem } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver, 'keys' | 'key' | 'create_key' | 'destroy_key'>;

export function keyOperations({ store }: MockBackend): Ops {
  return {
    keys: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('keys', store.list('keys'), filter);
    },
    key: async (ctx, id) => {
      authenticate(ctx);
      return store.get('keys', id);
    },
    create_key: async (ctx, { name }) => {
      authenticate(ctx);
      // public_key is ignored: the mock always "generates" a pair.
      const key: Key = { id: name, credentialType: 'key', fingerprint: mockFingerprint(), pem: mockPem() };
      return store.write(() => {
        if (store.has('keys', name)) throw new Forbidden('Key with same name already exists');
        return store.put('keys', key);
      });
    },
    destroy_key: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        if (!store.delete('keys', id)) throw new NotFound();
      });
    },
  };
}
