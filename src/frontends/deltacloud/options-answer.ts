// `OPTIONS` answers (spec §9.2): the collections a driver offers on `/api`,
// the methods of a collection, and the parameters of one operation, all
// derived from the operation declarations and the driver's features.
import { hasCapability, type Driver, type DriverDeclaration } from '../../core/driver.js';
import { DeltacloudError } from '../../core/errors.js';
import { advertisedFeatures } from '../../core/features.js';
import type { Operation } from './operation.js';
import type { Router } from './router.js';

/** The methods of a collection's own operations, in the original's order: index/show, create, destroy. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

function collectionClassName(collection: string): string {
  return `Deltacloud::Rabbit::${collection.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}Collection`;
}

function featuresOf(declaration: DriverDeclaration, collection: string) {
  for (const [name, features] of Object.entries(declaration.features)) if (name === collection) return features;
  return undefined;
}

export class OptionsAnswers {
  /** Every collection an operation is declared for, sorted (computed once). */
  private readonly collections: string[];

  constructor(private readonly router: Router, operations: readonly Operation[]) {
    this.collections = [...new Set(operations.map((o) => o.collection))].filter((c) => c !== 'api').sort();
  }

  /** The `Allow` header for `OPTIONS` on the path segments below the mount; throws 404 for an unknown target. */
  allow(driver: Driver, below: readonly string[]): string {
    if (below.length === 0) {
      return this.collections
        .filter((c) => c === 'drivers' || (c === 'instance_states' ? !!driver.declaration.stateMachine : hasCapability(driver, c)))
        .map(collectionClassName).join(',');
    }
    const collection = below[0]!;
    const ops = this.router.ofCollection(collection).filter((o) => !o.name.endsWith('_form'));
    if (ops.length === 0) throw new DeltacloudError(404);
    if (below.length === 1) {
      // Blobs are a sub-collection: their operations are not the bucket collection's own.
      const own = ops.filter((o) => !o.name.includes('blob'));
      const methods = [...new Set(own.map((o) => o.method))].sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b));
      return ['OPTIONS', ...methods].join(',');
    }
    // `/collection/<operation>` for standard operations, `/collection/:id/<action>` for actions.
    const opName = below.length === 2 ? below[1]! : below[2]!;
    const op = ops.find((o) => o.name === opName);
    if (!op) throw new DeltacloudError(404);
    const declared = (op.params ?? []).map((p) => `${p.name}:${p.type === 'array' ? 'array' : 'string'}:${p.required ? 'required' : 'optional'}`);
    const features = advertisedFeatures(featuresOf(driver.declaration, collection), collection)
      .filter((f) => f.operation === op.name)
      .flatMap((f) => f.params.map((p) => `${p.name}:${p.type}:optional`));
    return [...new Set([...declared, ...features])].join(',');
  }
}
