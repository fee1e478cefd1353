// Metrics = Azure Monitor's platform metrics of each virtual machine in the
// provider's resource group (the host's view: no agent needed). The list names
// each VM's metrics; a show reads the last hour in 5-minute grains (average,
// minimum, maximum), newest first. Azure's names are given Deltacloud's (the
// EC2 driver's) where there is one; a metric Azure could not read has no
// values.
import type { Metric as AzureMetric } from '@azure/arm-monitor';
import type { VirtualMachine } from '@azure/arm-compute';
import type { Driver } from '../../core/driver.js';
import { orUndefined } from '../../core/kit/lookup.js';
import type { Metric, MetricProperty, MetricSample } from '../../core/model.js';
import { listed, nameOf, type ArmConnections } from './arm.js';
import { checkResourceName } from './keys.js';

type MetricOps = Required<Pick<Driver, 'metrics' | 'metric'>>;

/** Azure Monitor's VM host metrics → Deltacloud's names. */
const METRICS: Record<string, string> = {
  'Percentage CPU': 'CPUUtilization',
  'Network In Total': 'NetworkIn',
  'Network Out Total': 'NetworkOut',
  'Disk Read Bytes': 'DiskReadBytes',
  'Disk Write Bytes': 'DiskWriteBytes',
};
export const METRIC_WINDOW_MS = 3_600_000;
export const METRIC_GRAIN = 'PT5M';

function samplesOf(metric: AzureMetric): MetricSample[] {
  if (metric.errorCode && metric.errorCode !== 'Success') return [];
  const samples: MetricSample[] = [];
  for (const series of metric.timeseries ?? []) {
    for (const point of series.data ?? []) {
      // A grain without data carries no average (only a zero count).
      if (point.average === undefined) continue;
      samples.push({
        average: point.average,
        minimum: point.minimum ?? point.average,
        maximum: point.maximum ?? point.average,
        timestamp: Math.floor(point.timeStamp.getTime() / 1000),
        unit: metric.unit,
      });
    }
  }
  return samples.sort((a, b) => b.timestamp - a.timestamp);
}

const propertyOf = (metric: AzureMetric): MetricProperty => ({ name: METRICS[metric.name.value] ?? metric.name.value, values: samplesOf(metric) });

export function metricOperations(connections: ArmConnections): MetricOps {
  return {
    metrics: async (ctx, filter) => {
      const [s, { compute, scope }] = connections.open(ctx);
      const vms = await listed(s, compute.virtualMachines.list(scope.resourceGroup, { abortSignal: s.signal }), (vm: VirtualMachine) => ({ id: vm.name ?? nameOf(vm.id) }), filter.id);
      return vms.map(({ id }): Metric => ({ id, entity: id, properties: Object.values(METRICS).map((name) => ({ name, values: null })) }));
    },
    // One Metrics_List call: Azure answers 404 for a VM that does not exist; a name it could not hold is none.
    metric: async (ctx, id) => {
      try {
        checkResourceName(id, 'Instance');
      } catch {
        return undefined;
      }
      const [s, { monitor, scope }] = connections.open(ctx);
      const resourceUri = `subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${id}`;
      const end = new Date();
      const start = new Date(end.getTime() - METRIC_WINDOW_MS);
      const answer = await orUndefined(() => s.call(() => monitor.metrics.list(resourceUri, {
        abortSignal: s.signal,
        timespan: `${start.toISOString()}/${end.toISOString()}`,
        interval: METRIC_GRAIN,
        metricnames: Object.keys(METRICS).join(','),
        metricnamespace: 'Microsoft.Compute/virtualMachines',
        aggregation: 'average,minimum,maximum',
      })));
      return answer && { id, entity: id, properties: answer.value.map(propertyOf) };
    },
  };
}
