// Nova flavors, shared by hardware profiles (compute.ts) and the images that
// list the flavors they fit (image.ts).
import type { Session } from './session.js';

export interface Flavor {
  id: string | number;
  name?: string;
  vcpus?: number;
  /** MiB */
  ram?: number;
  /** Root disk, GB; 0 = sized to the image. */
  disk?: number;
}

export async function allFlavors(s: Session): Promise<Flavor[]> {
  return s.listAll<Flavor>('compute', '/flavors/detail', 'flavors');
}

/** What Glance says an image needs. */
export interface ImageNeeds {
  /** GB */
  min_disk?: number;
  /** MiB */
  min_ram?: number;
  /** bytes */
  size?: number | null;
}

/**
 * Whether Nova boots the image on the flavor: enough RAM for min_ram, and a
 * root disk of at least min_disk and the image's size (Nova's checks; a disk
 * of 0 means the root disk takes the image's size).
 */
export function flavorFits(f: Flavor, image: ImageNeeds): boolean {
  if ((image.min_ram ?? 0) > (f.ram ?? Infinity)) return false;
  if (f.disk === undefined || f.disk === 0) return true;
  return (image.min_disk ?? 0) <= f.disk && (image.size ?? 0) <= f.disk * 1024 ** 3;
}
