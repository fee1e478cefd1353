// HTML helper forms (spec §13). Each form is derived from the operation it
// posts to: its declared parameters plus the parameters of the features the
// driver advertises for it, so a form never drifts from the API.
import { hasCapability, type CollectionName } from '../../../core/driver.js';
import { advertisedFeatures } from '../../../core/features.js';
import type { HardwareProfile } from '../../../core/model.js';
import { consoleChrome, profileSummary } from '../console.js';
import { renderFormPage, type FormField, type FormProblem } from '../html.js';
import { HTML_ONLY, optParam, type ApiRequest, type HttpMethod, type Operation, type ParamDeclaration } from '../operation.js';
import type { Reply } from '../reply.js';
import { encodePathSegment } from '../views/view.js';
import type { ListCapability } from '../../../core/kit/capabilities.js';
import { call } from '../../../core/kit/pipeline.js';

const humanize = (name: string) => (name.charAt(0).toUpperCase() + name.slice(1)).replaceAll('_', ' ');

/** Parameters that name a member of a collection: the form offers the driver's members to choose from. */
const CHOICES: Record<string, ListCapability> = {
  realm_id: 'realms', hwp_id: 'hardware_profiles', keyname: 'keys', image_id: 'images', instance_id: 'instances',
  instance: 'instances', volume_id: 'storage_volumes', snapshot_id: 'storage_snapshots', network_id: 'networks',
  subnet: 'subnets', load_balancer_id: 'load_balancers', firewalls1: 'firewalls',
};

/** Turns id fields into drop-downs of the driver's members (left as text when the driver cannot list them). */
async function withChoices(req: ApiRequest, fields: FormField[]): Promise<FormField[]> {
  return Promise.all(fields.map(async (field) => {
    const collection = CHOICES[field.name];
    if (!collection || !hasCapability(req.driver, collection)) return field;
    // Profiles say what they offer (cores, memory, storage); other members show their name and id.
    // A profile's option carries its ranges (`data-range-cpu="1:4:1"`) for the range inputs below it.
    const options: Array<{ value: string; label: string; data?: Record<string, string> }> = collection === 'hardware_profiles'
      ? (await call(req.driver, 'hardware_profiles', req.ctx, {})).map((p) => ({ value: p.id, label: profileSummary(p), data: profileRanges(p) }))
      : (await call(req.driver, collection, req.ctx, {})).map((i: { id: string; name?: string }) =>
        ({ value: i.id, label: i.name && i.name !== i.id ? `${i.name} (${i.id})` : i.id }));
    if (!field.required) options.unshift({ value: '', label: '(default)' });
    return { ...field, type: 'select' as const, options };
  }));
}

/** The overrides a profile's ranges allow: `hwp_<property>` → `first:last:default`. */
function profileRanges(profile: HardwareProfile): Record<string, string> {
  const ranges: Record<string, string> = {};
  for (const p of profile.properties) {
    if (p.kind === 'range' && p.first !== undefined && p.last !== undefined) ranges[`range-hwp_${p.name}`] = `${p.first}:${p.last}:${p.value}`;
  }
  return ranges;
}

/**
 * The profile overrides (`hwp_cpu`, …) as range inputs within the chosen profile's ranges. A property the chosen
 * profile does not range over is hidden and disabled (not sent); the console script follows another choice of
 * profile. Without the script, choosing another profile and posting brings the form back with its ranges (a 400).
 */
function withProfileRanges(fields: FormField[]): FormField[] {
  const profiles = fields.find((f) => f.name === 'hwp_id');
  if (!profiles?.options) return fields;
  const chosen = profiles.options.find((o) => o.value === profiles.value) ?? profiles.options.find((o) => o.value !== '');
  return fields.map((field) => {
    if (!/^hwp_(cpu|memory|storage)$/.test(field.name)) return field;
    if (!profiles.options!.some((o) => o.data?.[`range-${field.name}`] !== undefined)) return field;
    const range = chosen?.data?.[`range-${field.name}`];
    if (range === undefined) return { ...field, type: 'range' as const, disabled: true, value: undefined };
    const [min, max, fallback] = range.split(':');
    const asked = Number(field.value);
    const value = field.value !== undefined && asked >= Number(min) && asked <= Number(max) ? field.value : fallback;
    return { ...field, type: 'range' as const, min, max, value };
  });
}

function fieldsFor(req: ApiRequest, target: Operation): FormField[] {
  // What the URL carries is not asked for (the bucket of an upload is; the blob's name is a field).
  const inPath = new Set(target.path.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1)));
  const declared: ParamDeclaration[] = (target.params ?? []).filter((p) => !inPath.has(p.name));
  const base64 = new Set<string>();
  const flags = new Set<string>();
  const features = advertisedFeatures(req.driver.declaration.features[target.collection as CollectionName], target.collection)
    .filter((f) => f.operation === target.name);
  for (const f of features) {
    for (const p of f.params) {
      if (!declared.some((d) => d.name === p.name)) {
        declared.push({ name: p.type === 'array' ? `${p.name}1` : p.name, label: p.label, description: p.description });
        if (p.base64) base64.add(p.name);
        if (p.flag) flags.add(p.name);
      }
    }
  }
  return declared.map((p) => ({
    name: p.name,
    label: p.label ?? humanize(p.name),
    help: p.description,
    type: p.type === 'file' ? 'file' : base64.has(p.name) ? 'textarea' : flags.has(p.name) ? 'checkbox' : /password|private_key/.test(p.name) ? 'password' : 'text',
    base64: base64.has(p.name) || undefined,
    required: p.required,
    value: optParam(req, p.name),
  }));
}

interface FormDeclaration {
  path: string;
  title: string;
  target: (ops: Operation[]) => Operation | undefined;
  multipart?: boolean;
  extraFields?: FormField[];
  /** Fields that depend on the resource the form acts on (a blob's current metadata). */
  currentFields?: (req: ApiRequest) => Promise<FormField[]>;
}

/** Empty rows offered for new metadata entries, after the existing ones. */
const NEW_METADATA_ROWS = 2;

/** A blob's metadata as name/value rows (`meta_name1`, `meta_value1`, …) the update reads; clearing a name drops it. */
async function blobMetadataFields(req: ApiRequest): Promise<FormField[]> {
  const current = await call(req.driver, 'blob_metadata', req.ctx, req.pathParams.id!, req.pathParams.blob_id!) ?? {};
  const rows = Object.entries(current);
  const count = rows.length + NEW_METADATA_ROWS;
  const fields: FormField[] = [{ name: 'meta_params', label: 'Metadata items', type: 'hidden', value: String(count) }];
  for (let i = 1; i <= count; i++) {
    // After a refusal the rows show what was sent; otherwise what the blob has.
    const [name, value] = rows[i - 1] ?? ['', ''];
    fields.push(
      { name: `meta_name${i}`, label: `Name ${i}`, type: 'text', value: optParam(req, `meta_name${i}`) ?? name, help: i === 1 ? 'Clear a name to remove its entry.' : undefined },
      { name: `meta_value${i}`, label: `Value ${i}`, type: 'text', value: optParam(req, `meta_value${i}`) ?? value },
    );
  }
  return fields;
}

const find = (collection: string, name: string, method: HttpMethod = 'POST') => (ops: Operation[]) =>
  ops.find((o) => o.collection === collection && o.name === name && o.method === method);

// An id the launch and image forms are opened with (`?image_id=`, `?instance_id=`) is preselected; without one, the
// drop-down offers them all.
const FORMS: FormDeclaration[] = [
  { path: '/instances/new', title: 'Launch instance', target: find('instances', 'create') },
  { path: '/instances/:id/run', title: 'Run a command', target: find('instances', 'run') },
  { path: '/images/new', title: 'Create image from instance', target: find('images', 'create') },
  { path: '/keys/new', title: 'Create new SSH key', target: find('keys', 'create') },
  { path: '/buckets/new', title: 'Create bucket', target: find('buckets', 'create') },
  {
    // The multipart POST to the bucket (the PUT takes the name from the URL and the data raw: no form can send it).
    path: '/buckets/:id/new_blob_form_d15cfd90', title: 'Upload blob', target: find('buckets', 'create_blob'), multipart: true,
    extraFields: [
      { name: 'meta_params', label: 'Metadata items', type: 'hidden', value: '1' },
      { name: 'meta_name1', label: 'Metadata name', type: 'text' },
      { name: 'meta_value1', label: 'Metadata value', type: 'text' },
    ],
  },
  {
    path: '/buckets/:id/:blob_id/edit_metadata', title: 'Edit metadata', target: find('buckets', 'update_blob_metadata'),
    currentFields: blobMetadataFields,
  },
  { path: '/storage_volumes/new', title: 'Create storage volume', target: find('storage_volumes', 'create') },
  { path: '/storage_volumes/:id/attach_instance', title: 'Attach storage volume', target: find('storage_volumes', 'attach') },
  { path: '/storage_snapshots/new', title: 'Create storage snapshot', target: find('storage_snapshots', 'create') },
  { path: '/addresses/:id/associate', title: 'Associate address', target: find('addresses', 'associate') },
  { path: '/firewalls/new', title: 'Create firewall', target: find('firewalls', 'create') },
  {
    path: '/firewalls/:id/new_rule', title: 'Add firewall rule', target: find('firewalls', 'rules'),
    extraFields: [
      { name: 'ip_address1', label: 'Source address (CIDR)', type: 'text' },
      { name: 'group1', label: 'Source group', type: 'text' },
      { name: 'group1owner', label: 'Source group owner', type: 'text' },
    ],
  },
  { path: '/load_balancers/new', title: 'Create load balancer', target: find('load_balancers', 'create') },
  { path: '/networks/new', title: 'Create network', target: find('networks', 'create') },
  { path: '/subnets/new', title: 'Create subnet', target: find('subnets', 'create') },
  { path: '/network_interfaces/new', title: 'Create network interface', target: find('network_interfaces', 'create') },
];

/** `base` + an operation's path with its `:name` parameters filled in. */
export function fillPath(base: string, path: string, pathParams: Record<string, string>): string {
  return base + path.replace(/:([a-z_]+)/g, (_, name: string) => encodePathSegment(pathParams[name] ?? ''));
}

/** A helper form: the HTML-only GET operation showing it, and the operation it submits to. */
export interface HelperForm {
  form: Operation;
  target: Operation;
  title: string;
  /** The form's page for `req`, filled with what it carries; with `problem`, the server's refusal of its post. */
  render(req: ApiRequest, problem?: FormProblem): Promise<string>;
}

/**
 * The field a refusal is about: the parameter it names (`Required parameter 'image_id' …`,
 * `capacity must be …`, `… 'name' …`), as the console script finds it for posts it sends itself.
 */
export function fieldOfMessage(message: string, names: readonly string[]): string | undefined {
  return names.find((name) => message.startsWith(`${name} `) || message.includes(`'${name}'`) || message.includes(` ${name} `));
}

export function makeFormOperations(apiOperations: Operation[]): HelperForm[] {
  return FORMS.flatMap((declaration) => {
    const target = declaration.target(apiOperations);
    if (!target) return [];
    const render = async (req: ApiRequest, problem?: FormProblem) => {
      const current = declaration.currentFields ? await declaration.currentFields(req) : [];
      const fields = withProfileRanges(await withChoices(req, [...fieldsFor(req, target), ...(declaration.extraFields ?? []), ...current]));
      const named = problem && { ...problem, field: problem.field ?? fieldOfMessage(problem.message, fields.map((f) => f.name)) };
      return renderFormPage({
        title: declaration.title,
        action: fillPath(req.base, target.path, req.pathParams),
        multipart: declaration.multipart,
        fields,
        submitLabel: declaration.title,
      }, {
        apiUrl: req.base, selfUrl: fillPath(req.base, declaration.path, req.pathParams), driver: req.driverId, provider: req.provider,
        chrome: consoleChrome(req),
      }, named);
    };
    const form: Operation = {
      collection: target.collection, name: `${target.name}_form`, method: 'GET', path: declaration.path,
      capability: target.capability, formats: HTML_ONLY,
      params: declaration.path.split('/').filter((s) => s.startsWith(':')).map((s) => ({ name: s.slice(1), required: true })),
      async run(req): Promise<Reply> {
        return { status: 200, body: { kind: 'html', html: await render(req) } };
      },
    };
    return [{ form, target, title: declaration.title, render }];
  });
}
