// Keys = SSH public key resources (`Microsoft.Compute/sshPublicKeys`) in the
// provider's resource group. Azure stores only the public half: a key is
// imported (`public_key` required, checked locally before any call); its
// fingerprint is the OpenSSH SHA256 one of the stored key.
import type { SshPublicKeyResource } from '@azure/arm-compute';
import type { Driver, Filter, RequestContext } from '../../core/driver.js';
import { ValidationFailure } from '../../core/errors.js';
import type { Key } from '../../core/model.js';
import { parsePublicKey } from '../libvirt/ssh-keys.js';
import { locationOf, membersOf, nameOf, type ArmConnections } from './arm.js';
import type { AzureOptions } from './config.js';

type KeyOps = Pick<Driver, 'keys' | 'key' | 'create_key' | 'destroy_key'>;

/** Resource names: 1-80 of letters, digits, `_`, `-`, `.` (no leading or trailing period): checked before any call. */
const RESOURCE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_-]$|^[A-Za-z0-9_]$/;

export function checkResourceName(name: string, what: string): string {
  if (!RESOURCE_NAME.test(name)) throw new ValidationFailure(`${what} names are 1-80 letters, digits, '_', '-' and '.', not ending in '.'`);
  return name;
}


function fingerprint(publicKey: string | undefined): string | undefined {
  if (!publicKey) return undefined;
  try {
    return parsePublicKey(publicKey, '').fingerprint;
  } catch {
    // Azure answered a key this server cannot read (or an example's placeholder): no fingerprint.
    return undefined;
  }
}

function toKey(resource: SshPublicKeyResource): Key {
  const id = resource.name ?? nameOf(resource.id);
  return { id, name: id, credentialType: 'key', fingerprint: fingerprint(resource.publicKey), state: 'AVAILABLE' };
}

export function keyOperations(options: AzureOptions, connections: ArmConnections): KeyOps {
  const arm = (ctx: RequestContext) => connections.open(ctx);
  const members = membersOf(connections, 'Key', checkResourceName, {
    list: ({ compute, scope }, abortSignal) => compute.sshPublicKeys.listByResourceGroup(scope.resourceGroup, { abortSignal }),
    get: ({ compute, scope }, name, abortSignal) => compute.sshPublicKeys.get(scope.resourceGroup, name, { abortSignal }),
    map: toKey,
  });
  return {
    keys: (ctx, filter: Filter) => members.list(ctx, filter),
    key: (ctx, id) => members.show(ctx, id),
    create_key: async (ctx, { name, publicKey }) => {
      checkResourceName(name, 'Key');
      // The scope first (no call is made): a provider without one lacks keys (501) whatever the key.
      const [s, { compute, scope }] = arm(ctx);
      if (!publicKey) throw new ValidationFailure('Azure keys are imported: public_key is required');
      const { publicKey: normalised } = parsePublicKey(publicKey, '');
      const location = locationOf(scope, 'a key');
      return s.call(async () => toKey(await compute.sshPublicKeys.create(scope.resourceGroup, name, { location, publicKey: normalised.trim() }, { abortSignal: s.signal })));
    },
    destroy_key: async (ctx, id) => {
      checkResourceName(id, 'Key');
      const [s, { compute, scope }] = arm(ctx);
      await s.call(() => compute.sshPublicKeys.delete(scope.resourceGroup, id, { abortSignal: s.signal }));
    },
  };
}
