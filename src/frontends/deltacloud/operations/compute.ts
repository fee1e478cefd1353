// Realms, hardware profiles, images, instances, instance states, keys, metrics.
import type { InstanceCreate, RunCommand } from '../../../core/driver.js';
import { Forbidden, MethodNotAllowed, NotSupported, ValidationFailure } from '../../../core/errors.js';
import type { Instance, InstanceAction } from '../../../core/model.js';
import { optParam, param, type ApiRequest, type Operation, type ParamDeclaration } from '../operation.js';
import { documentReply, emptyReply, type Reply } from '../reply.js';
import {
  allowedActions, commandResultView, hardwareProfileView, imageView, instanceStatesView, instanceView, keyView, metricView, realmView,
} from '../views/compute.js';
import { listOperation, listReply, memberReply, readAndDestroy, showOperation } from './standard.js';
import { offeredCollections } from './entry.js';
import { graphvizSource, renderStateDiagramPng } from '../state-diagram.js';
import { INSTANCE_ACTION_CAPABILITY } from '../../../core/kit/capabilities.js';
import { findOne } from '../../../core/kit/lookup.js';
import { call } from '../../../core/kit/pipeline.js';
import { bareMemberOf, bytes, documentOf, listOf, memberOf, noContent, redirect } from '../openapi/responses.js';

const realms: Operation[] = [listOperation('realms', realmView), showOperation('realms', realmView)];

const hardwareProfiles: Operation[] = [
  listOperation('hardware_profiles', hardwareProfileView),
  showOperation('hardware_profiles', hardwareProfileView),
];

const images: Operation[] = [
  ...readAndDestroy('images', imageView, 'destroy_image'),
  {
    collection: 'images', name: 'create', method: 'POST', path: '/images', capability: 'create_image',
    params: [{ name: 'instance_id', required: true }, { name: 'name' }, { name: 'description' }],
    responses: [memberOf(imageView, 201, ['Location'])],
    async run(req) {
      const image = await call(req.driver, 'create_image', req.ctx, {
        instanceId: param(req, 'instance_id'), name: optParam(req, 'name'), description: optParam(req, 'description'),
      });
      const location = req.view.href('images', image.id);
      return memberReply(req, 201, imageView, image, { location });
    },
  },
];

const PROFILE_PROPERTIES = ['memory', 'storage', 'architecture', 'cpu'];
const FIREWALL_PARAM = /^firewalls\d*$/;

/** Firewall ids from `firewalls1..N`, `firewalls[]` and repeated `firewalls` (spec §11.5.2). */
function firewallIds(req: ApiRequest): string[] {
  const ids: string[] = [];
  for (const [name, value] of Object.entries(req.params)) {
    if (!FIREWALL_PARAM.test(name)) continue;
    for (const v of Array.isArray(value) ? value : typeof value === 'string' ? [value] : []) if (v !== '') ids.push(v);
  }
  return ids;
}

function decodeUserData(value: string | undefined): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(value)) throw new ValidationFailure('user_data must be base64-encoded');
  return Buffer.from(value, 'base64');
}

function flatParams(req: ApiRequest): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.params)) if (typeof v === 'string') flat[k] = v;
  return flat;
}

function instanceCreateFrom(req: ApiRequest): InstanceCreate {
  const overrides: Record<string, string> = {};
  for (const p of PROFILE_PROPERTIES) {
    const v = optParam(req, `hwp_${p}`);
    if (v !== undefined && v !== '') overrides[p] = v;
  }
  const count = optParam(req, 'instance_count');
  let instanceCount: number | undefined;
  if (count !== undefined && count !== '') {
    instanceCount = Number(count);
    if (!Number.isInteger(instanceCount) || instanceCount < 1 || instanceCount > 1000) {
      throw new ValidationFailure('instance_count must be a whole number from 1 to 1000');
    }
  }
  const blankIsAbsent = (v: string | undefined) => (v === '' ? undefined : v);
  return {
    imageId: param(req, 'image_id'),
    realmId: blankIsAbsent(optParam(req, 'realm_id')),
    hardwareProfileId: blankIsAbsent(optParam(req, 'hwp_id')),
    profileOverrides: overrides,
    name: optParam(req, 'name'),
    keyname: blankIsAbsent(optParam(req, 'keyname')),
    userData: decodeUserData(optParam(req, 'user_data')),
    password: optParam(req, 'password'),
    firewallIds: firewallIds(req),
    instanceCount,
    metrics: (optParam(req, 'metrics') ?? '') !== '',
    loadBalancerId: blankIsAbsent(optParam(req, 'load_balancer_id')),
    params: flatParams(req),
  };
}

/** Load, check the action is allowed in the current state, perform (spec §11.5.4). */
async function instanceAction(req: ApiRequest, action: InstanceAction): Promise<Instance | undefined> {
  const id = req.pathParams.id!;
  const instance = await findOne(req.driver, 'instances', req.ctx, id);
  if (!instance) throw new Forbidden();
  if (!allowedActions(instance, req.driver.declaration.stateMachine).includes(action)) throw new MethodNotAllowed();
  return (await call(req.driver, INSTANCE_ACTION_CAPABILITY[action], req.ctx, id)) || undefined;
}

function actionOperation(action: Exclude<InstanceAction, 'destroy'>): Operation {
  return {
    collection: 'instances', name: action, method: 'POST', path: `/instances/:id/${action}`, capability: INSTANCE_ACTION_CAPABILITY[action],
    params: [{ name: 'id', required: true }], responses: [bareMemberOf(instanceView, 202), redirect(302)],
    async run(req) {
      const instance = await instanceAction(req, action);
      const self = req.view.href('instances', req.pathParams.id!);
      if (!instance) return { status: 302, headers: { Location: self } };
      return { ...memberReply(req, 202, instanceView, instance, { unwrappedJson: true }), htmlRedirect: self };
    },
  };
}

const hwpOverride = (property: string, label: string): ParamDeclaration => ({
  name: `hwp_${property}`, label, description: `The hardware profile's ${property}, where the profile offers a range or a choice.`,
});
const CREATE_INSTANCE_PARAMS: ParamDeclaration[] = [
  { name: 'image_id', label: 'Image', required: true, description: 'The image to launch.' },
  { name: 'realm_id', label: 'Realm', description: 'The realm to launch in (default: the driver\'s).' },
  { name: 'hwp_id', label: 'Hardware profile', description: 'The hardware profile (default: the driver\'s).' },
  hwpOverride('cpu', 'CPU cores'), hwpOverride('memory', 'Memory (MB)'), hwpOverride('storage', 'Storage (GB)'), hwpOverride('architecture', 'Architecture'),
];

const instances: Operation[] = [
  listOperation('instances', instanceView),
  showOperation('instances', instanceView),
  {
    collection: 'instances', name: 'create', method: 'POST', path: '/instances', capability: 'create_instance',
    params: CREATE_INSTANCE_PARAMS,
    // One instance: the member; several (instance_count): the list.
    responses: [memberOf(instanceView, 201, ['Location']), listOf(instanceView, 201)],
    async run(req) {
      const created = await call(req.driver, 'create_instance', req.ctx, instanceCreateFrom(req));
      if (created.length === 1) {
        const location = req.view.href('instances', created[0]!.id);
        return { ...memberReply(req, 201, instanceView, created[0]!, { location }), htmlRedirect: location };
      }
      return { ...listReply(req, instanceView, created), status: 201, htmlRedirect: req.view.href('instances') };
    },
  },
  actionOperation('start'),
  actionOperation('stop'),
  actionOperation('reboot'),
  {
    collection: 'instances', name: 'destroy', method: 'DELETE', path: '/instances/:id', capability: 'destroy_instance',
    params: [{ name: 'id', required: true }], responses: [noContent()],
    async run(req) {
      await instanceAction(req, 'destroy');
      return emptyReply(204, undefined, req.view.href('instances'));
    },
  },
  {
    collection: 'instances', name: 'run', method: 'POST', path: '/instances/:id/run', capability: 'run_on_instance',
    params: [{ name: 'id', required: true }, { name: 'cmd', required: true }, { name: 'private_key' }, { name: 'password' },
      { name: 'ip' }, { name: 'port' }, { name: 'username' }],
    responses: [documentOf('command_result', commandResultView.schema)],
    async run(req) {
      const port = optParam(req, 'port');
      if (port !== undefined && port !== '' && !/^\d{1,5}$/.test(port)) throw new ValidationFailure('port must be a number');
      const command: RunCommand = {
        id: req.pathParams.id!, cmd: param(req, 'cmd'), privateKey: optParam(req, 'private_key'), password: optParam(req, 'password'),
        ip: optParam(req, 'ip') || undefined, port: port ? Number(port) : undefined, username: optParam(req, 'username') || undefined,
      };
      const result = await call(req.driver, 'run_on_instance', req.ctx, command);
      return documentReply(200, {
        xml: () => commandResultView.xml(result, req.view),
        json: () => commandResultView.json(result),
        xmlDeclaration: false,
        title: `Command on ${result.instanceId}`,
      });
    },
  },
];

const instanceStates: Operation[] = [
  {
    collection: 'instance_states', name: 'index', method: 'GET', path: '/instance_states', capability: 'instance_states',
    formats: ['xml', 'json', 'html', 'png', 'gv'],
    responses: [documentOf('instance_states', instanceStatesView.schema), bytes(200, ['image/png', 'application/ghostscript'])],
    async run(req): Promise<Reply> {
      const machine = req.driver.declaration.stateMachine!;
      // The collection exists exactly when the entry point lists it (an OpenStack catalogue without Nova has no instances).
      if (!(await offeredCollections(req)).includes('instance_states')) throw new NotSupported('This provider offers no instances, hence no instance states');
      if (req.format === 'gv') return { status: 200, body: { kind: 'text', text: graphvizSource(machine), contentType: 'application/ghostscript' } };
      if (req.format === 'png') return { status: 200, body: { kind: 'stream', stream: await renderStateDiagramPng(machine), contentType: 'image/png' } };
      return documentReply(200, {
        xml: () => instanceStatesView.xml(machine),
        json: () => instanceStatesView.json(machine),
        xmlDeclaration: false,
        title: 'Instance States',
      });
    },
  },
];

const keys: Operation[] = [
  ...readAndDestroy('keys', keyView, 'destroy_key'),
  {
    collection: 'keys', name: 'create', method: 'POST', path: '/keys', capability: 'create_key',
    params: [{ name: 'name', required: true }],
    responses: [memberOf(keyView, 201, ['Location'])],
    async run(req) {
      const key = await call(req.driver, 'create_key', req.ctx, {
        name: param(req, 'name'), publicKey: optParam(req, 'public_key') || undefined,
      });
      const location = req.view.href('keys', key.id);
      // HTML shows the new key's page: the private key is only known now.
      return memberReply(req, 201, keyView, key, { location });
    },
  },
];

// Samples are fresh on every read, so metric shows are never served from the render cache.
const metrics: Operation[] = [listOperation('metrics', metricView), { ...showOperation('metrics', metricView), volatile: true }];

export const computeOperations: Operation[] = [...realms, ...hardwareProfiles, ...images, ...instances, ...instanceStates, ...keys, ...metrics];

