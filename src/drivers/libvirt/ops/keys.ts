// Keys: SSH key pairs the server generates (the private key is returned once,
// at creation, and never stored) or public keys it imports; kept in the
// driver's key store (SQLite, or PostgreSQL shared by replicas) and put into instances through cloud-init.
import type { Driver } from '../../../core/driver.js';
import { Forbidden, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Key } from '../../../core/model.js';
import type { LibvirtBackend } from '../backend.js';
import { generateSshKeyPair, parsePublicKey } from '../ssh-keys.js';
import type { KeyRecord } from '../store.js';

type Ops = Pick<Driver, 'keys' | 'key' | 'create_key' | 'destroy_key'>;

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$/;

const toKey = (k: KeyRecord): Key => ({ id: k.id, name: k.id, credentialType: 'key', fingerprint: k.fingerprint, state: 'AVAILABLE' });

export function keyOperations(backend: LibvirtBackend): Ops {
  const store = backend.keys;
  /** Stores `k`; a key of that name already there (from any replica, also one racing this) is a 403, as the spec's mock answers. */
  const insert = async (k: KeyRecord) => {
    if (!(await store.insertKey(k))) throw new Forbidden('Key with same name already exists');
    return toKey(k);
  };
  return {
    keys: async () => {
      return (await store.keys()).map(toKey);
    },
    key: async (_ctx, id) => {
      const k = await store.key(id);
      return k && toKey(k);
    },
    create_key: async (_ctx, { name, publicKey }) => {
      if (!KEY_NAME.test(name)) throw new ValidationFailure('Key name must be letters, digits and . _ @ + - (at most 128)');
      if (await store.key(name)) throw new Forbidden('Key with same name already exists');
      const created = new Date().toISOString();
      if (publicKey !== undefined) {
        const parsed = parsePublicKey(publicKey, name);
        return insert({ id: name, publicKey: parsed.publicKey, fingerprint: parsed.fingerprint, imported: true, created });
      }
      const pair = await generateSshKeyPair(name);
      return { ...(await insert({ id: name, publicKey: pair.publicKey, fingerprint: pair.fingerprint, imported: false, created })), pem: pair.privateKeyPem };
    },
    destroy_key: async (_ctx, id) => {
      if (!(await store.deleteKey(id))) throw new NotFound(`Key '${id}' not found`);
    },
  };
}
