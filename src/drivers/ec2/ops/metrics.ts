// Metrics = CloudWatch `AWS/EC2` metrics per instance (spec §11.14): the list
// names each instance's metrics; a show reads the last hour of each in
// 5-minute statistics (minimum, maximum, average), newest first, and the
// running period so far, flagged partial.
import { GetMetricStatisticsCommand, paginateListMetrics, type Datapoint } from '@aws-sdk/client-cloudwatch';
import type { Driver } from '../../../core/driver.js';
import type { Instance, Metric, MetricSample } from '../../../core/model.js';
import type { AwsSession } from '../clients.js';
import { describeInstances } from './compute.js';
import { filterValue, orUndefined, type Deps } from './context.js';

type Ops = Pick<Driver, 'metrics' | 'metric'>;

const NAMESPACE = 'AWS/EC2';
const DIMENSION = 'InstanceId';
export const METRIC_WINDOW_S = 3600;
export const METRIC_PERIOD_S = 300;

/** Metric names per instance id. */
async function metricNames(s: AwsSession, instanceId?: string): Promise<Map<string, string[]>> {
  const client = s.cloudwatch();
  const metrics = await s.pages(
    (o) => paginateListMetrics({ client, stopOnSameToken: true }, {
      Namespace: NAMESPACE, Dimensions: [{ Name: DIMENSION, ...(instanceId ? { Value: instanceId } : {}) }],
    }, o),
    (page) => page.Metrics,
  );
  const byInstance = new Map<string, string[]>();
  for (const m of metrics) {
    // Only the per-instance series (InstanceId as the single dimension).
    if (m.Dimensions?.length !== 1) continue;
    const id = m.Dimensions[0]!.Value;
    if (!id || !m.MetricName || (instanceId && id !== instanceId)) continue;
    const names = byInstance.get(id) ?? [];
    if (!names.includes(m.MetricName)) names.push(m.MetricName);
    byInstance.set(id, names);
  }
  for (const names of byInstance.values()) names.sort();
  return byInstance;
}

/**
 * One CloudWatch datapoint → a sample; statistics the service left out fall
 * back to the average. A datapoint whose period ends after `nowMs` is the
 * running period's: flagged partial.
 */
export function toSample(p: Datapoint, nowMs: number): MetricSample {
  const average = p.Average ?? (p.Sum !== undefined && p.SampleCount ? p.Sum / p.SampleCount : p.Sum ?? 0);
  const timestamp = p.Timestamp ? Math.floor(p.Timestamp.getTime() / 1000) : 0;
  return {
    minimum: p.Minimum ?? average,
    maximum: p.Maximum ?? average,
    average,
    timestamp,
    unit: p.Unit ?? 'None',
    ...((timestamp + METRIC_PERIOD_S) * 1000 > nowMs ? { partial: true as const } : {}),
  };
}

/**
 * What a show asks CloudWatch for: the last hour's whole periods (aligned on
 * period boundaries) and the running period up to now.
 */
export function metricWindow(nowMs: number): { start: Date; end: Date } {
  const periodMs = METRIC_PERIOD_S * 1000;
  const running = Math.floor(nowMs / periodMs) * periodMs;
  return { start: new Date(running - METRIC_WINDOW_S * 1000), end: new Date(nowMs) };
}

export function metricOperations(deps: Deps): Ops {
  async function instancesById(s: AwsSession, ids?: string[]): Promise<Map<string, Instance> | undefined> {
    if (!s.has('ec2')) return undefined;
    const list = ids ? await orUndefined(() => describeInstances(s, { InstanceIds: ids })) ?? [] : await describeInstances(s, {});
    return new Map(list.map((i) => [i.id, i]));
  }

  return {
    metrics: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      const [names, instances] = await Promise.all([metricNames(s, id), instancesById(s, id ? [id] : undefined)]);
      const result: Metric[] = [];
      for (const [instanceId, metricList] of [...names.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const instance = instances?.get(instanceId);
        // Metrics outlive their instances by months: list those of instances that exist (when EC2 can tell).
        if (instances && (!instance || instance.state === 'FINISH')) continue;
        result.push({ id: instanceId, entity: instance?.name ?? instanceId, properties: metricList.map((name) => ({ name, values: null })) });
      }
      return result;
    },
    metric: async (ctx, id) => {
      const s = deps.session(ctx);
      const [names, instances] = await Promise.all([metricNames(s, id), instancesById(s, [id])]);
      const metricList = names.get(id) ?? [];
      const instance = instances?.get(id);
      if (metricList.length === 0 && !instance) return undefined;
      const now = Date.now();
      const { start, end } = metricWindow(now);
      const properties = await Promise.all(metricList.map(async (name) => {
        const out = await s.call((o) => s.cloudwatch().send(new GetMetricStatisticsCommand({
          Namespace: NAMESPACE, MetricName: name, Dimensions: [{ Name: DIMENSION, Value: id }],
          StartTime: start, EndTime: end, Period: METRIC_PERIOD_S, Statistics: ['Average', 'Minimum', 'Maximum', 'SampleCount'],
        }), o));
        const samples = (out.Datapoints ?? []).map((p) => toSample(p, now)).sort((a, b) => b.timestamp - a.timestamp);
        return { name, values: samples };
      }));
      return { id, entity: instance?.name ?? id, properties };
    },
  };
}
