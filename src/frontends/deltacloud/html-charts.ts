// An instance's metrics as small charts: inline SVG drawn on the server from
// the metric document the XML front end serializes (no script, no library,
// nothing fetched). Each property (CPU, network, disk) gets the average as a
// line over the band between minimum and maximum, oldest sample left, with
// its range and period written out for people who cannot see the drawing.
import { esc } from './html-escape.js';
import { isElement, type XmlElement } from './xml.js';

interface Sample {
  timestamp: number;
  minimum: number;
  maximum: number;
  average: number;
  unit: string;
}

const WIDTH = 320;
const HEIGHT = 120;
const PAD = { left: 4, right: 4, top: 8, bottom: 8 };

const elements = (e: XmlElement) => e.children.filter(isElement);

/** A sample element's `<property name= value=>` children as numbers; undefined when one is missing. */
function sampleOf(sample: XmlElement): Sample | undefined {
  const values = new Map<string, string>();
  for (const p of elements(sample)) values.set(String(p.attrs.name ?? ''), String(p.attrs.value ?? ''));
  const number = (name: string) => {
    const n = Number(values.get(name));
    return Number.isFinite(n) ? n : undefined;
  };
  const [timestamp, minimum, maximum, average] = [number('timestamp'), number('minimum'), number('maximum'), number('average')];
  if (timestamp === undefined || minimum === undefined || maximum === undefined || average === undefined) return undefined;
  return { timestamp, minimum, maximum, average, unit: values.get('unit') ?? '' };
}

/** `cpuUtilization` → "CPU utilization", `nicInputByte` → "Network input bytes". */
function propertyTitle(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(' ');
  const named = words.map((w) => (w === 'cpu' ? 'CPU' : w === 'nic' ? 'network' : w === 'byte' ? 'bytes' : w === 'packet' ? 'packets' : w));
  const text = named.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const formatNumber = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const formatTime = (unix: number) => new Date(unix * 1000).toISOString().slice(11, 19);

function chart(name: string, samples: Sample[], index: number): string {
  const sorted = [...samples].sort((a, b) => a.timestamp - b.timestamp);
  const low = Math.min(0, ...sorted.map((s) => s.minimum));
  const high = Math.max(...sorted.map((s) => s.maximum), low + 1e-9);
  const first = sorted[0]!.timestamp;
  const last = sorted.at(-1)!.timestamp;
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  // Samples of one instant (or a single one) are spread evenly rather than stacked.
  const x = (s: Sample, i: number) => PAD.left + (last > first ? ((s.timestamp - first) / (last - first)) * innerWidth : sorted.length > 1 ? (i / (sorted.length - 1)) * innerWidth : innerWidth / 2);
  const y = (v: number) => PAD.top + innerHeight - ((v - low) / (high - low)) * innerHeight;
  const point = (s: Sample, i: number, v: number) => `${x(s, i).toFixed(1)},${y(v).toFixed(1)}`;
  const band = [...sorted.map((s, i) => point(s, i, s.maximum)), ...sorted.map((s, i) => point(s, i, s.minimum)).reverse()].join(' ');
  const line = sorted.map((s, i) => point(s, i, s.average)).join(' ');
  const dots = sorted.map((s, i) => `<circle class="chart-dot" cx="${x(s, i).toFixed(1)}" cy="${y(s.average).toFixed(1)}" r="2.5"/>`).join('');
  const unit = sorted[0]!.unit && sorted[0]!.unit !== 'None' ? ` ${sorted[0]!.unit}` : '';
  const title = propertyTitle(name);
  const averages = sorted.map((s) => s.average);
  const summary = `${sorted.length} sample${sorted.length === 1 ? '' : 's'} from ${formatTime(first)} to ${formatTime(last)} UTC; `
    + `average ${formatNumber(Math.min(...averages))} to ${formatNumber(Math.max(...averages))}${unit}, `
    + `lowest ${formatNumber(Math.min(...sorted.map((s) => s.minimum)))}, highest ${formatNumber(Math.max(...sorted.map((s) => s.maximum)))}.`;
  const id = `chart-${index}`;
  return `<figure class="chart" data-property="${esc(name)}">`
    + `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc">`
    + `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(summary)}</desc>`
    + `<line class="chart-axis" x1="${PAD.left}" y1="${y(low).toFixed(1)}" x2="${WIDTH - PAD.right}" y2="${y(low).toFixed(1)}"/>`
    + `<polygon class="chart-band" points="${band}"/><polyline class="chart-line" points="${line}"/>${dots}</svg>`
    + `<figcaption><strong>${esc(title)}</strong>${esc(unit ? ` (${unit.trim()})` : '')}<br><span class="help">${esc(summary)}</span></figcaption></figure>`;
}

/** The charts of a `<metric>` document's properties (those with samples); '' when none has any. */
export function metricChartsHtml(doc: XmlElement): string {
  const properties = elements(doc).find((c) => c.name === 'properties');
  if (!properties) return '';
  const charts: string[] = [];
  for (const property of elements(properties)) {
    const samples = elements(property).filter((s) => s.name === 'sample').map(sampleOf).filter((s): s is Sample => s !== undefined);
    if (samples.length > 0) charts.push(chart(property.name, samples, charts.length));
  }
  return charts.length ? `<section class="charts" aria-label="Charts"><h2>Charts</h2><p class="help">Average as a line, between the lowest and highest value of each period (shaded); oldest on the left.</p><div class="chart-grid">${charts.join('')}</div></section>` : '';
}

export const CHART_STYLES = `.chart-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
figure.chart{margin:0;padding:.5rem;border:1px solid var(--line);border-radius:.5rem}
figure.chart svg{width:100%;height:auto;display:block}
.chart-band{fill:var(--accent);fill-opacity:.18;stroke:none}
.chart-line{fill:none;stroke:var(--accent);stroke-width:2;vector-effect:non-scaling-stroke}
.chart-dot{fill:var(--accent)}
.chart-axis{stroke:var(--muted);stroke-width:1;vector-effect:non-scaling-stroke}
`;
