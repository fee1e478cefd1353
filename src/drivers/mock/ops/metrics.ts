// Metrics (mock-driver.md §4.12): computed, one per instance of the user's
// list, with random samples on show.
import { randomInt } from 'node:crypto';
import type { Driver } from '../../../core/driver.js';
import type { Instance, Metric, MetricSample } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import { unixNow } from '../util.js';
import { applyFilters } from '../../../core/filters.js';
import { listInstances } from './instances.js';

type Ops = Pick<Driver, 'metrics' | 'metric'>;

/** Sorted by name, as the original sorted them. */
const PROPERTY_NAMES = [
  'cpuUtilization', 'diskReadRequestCount', 'diskReadSector', 'diskWriteRequestCount', 'diskWriteSector',
  'nicInputByte', 'nicInputPacket', 'nicOutputByte', 'nicOutputPacket',
] as const;

const SAMPLE_COUNT = 6;

function unitOf(name: string): string {
  if (name.includes('Utilization')) return 'Percent';
  if (name.includes('Byte')) return 'Bytes';
  if (name.includes('Sector') || name.includes('Count') || name.includes('Packet')) return 'Count';
  return 'None';
}

/** Newest first. Percentages are the integers / 100, averaged as decimals (original). */
function samples(name: string, now: number): MetricSample[] {
  const unit = unitOf(name);
  const result: MetricSample[] = [];
  for (let k = 0; k < SAMPLE_COUNT; k++) {
    const min = randomInt(1, 50);
    const max = randomInt(50, 100);
    const timestamp = now - k;
    if (name === 'cpuUtilization') {
      const minimum = min / 100;
      const maximum = max / 100;
      result.push({ minimum, maximum, average: (minimum + maximum) / 2, timestamp, unit });
    } else {
      result.push({ minimum: min, maximum: max, average: Math.floor((min + max) / 2), timestamp, unit });
    }
  }
  return result;
}

function metricOf(instance: Instance, withSamples: boolean): Metric {
  const now = unixNow();
  return {
    id: instance.id,
    entity: instance.name,
    properties: PROPERTY_NAMES.map((name) => ({ name, values: withSamples ? samples(name, now) : null })),
  };
}

export function metricOperations({ store }: MockBackend): Ops {
  return {
    metrics: async (ctx, filter) => {
      const instances = listInstances(store, authenticate(ctx), {});
      return applyFilters('metrics', instances.map((i) => metricOf(i, false)), filter);
    },
    // The original always answered the first instance's metric; required: the one asked for.
    metric: async (ctx, id) => {
      const [instance] = listInstances(store, authenticate(ctx), { id });
      return instance && metricOf(instance, true);
    },
  };
}
