// Representations of storage volumes, snapshots, buckets and blobs (spec §11.8–§11.10).
import type { Blob, Bucket, StorageSnapshot, StorageVolume } from '../../../core/model.js';
import { cdataEl, el, textEl } from '../xml.js';
import { link, type View } from './view.js';
import { actionLink, arrayOf, object, optionalString, reference, string, stringMap } from '../openapi/json-schema.js';

const present = <T>(v: T | undefined): v is T => v !== undefined;

export const storageVolumeView: View<StorageVolume> = {
  singular: 'storage_volume',
  plural: 'storage_volumes',
  schema: object({
    id: string, href: string, name: optionalString, description: optionalString, state: optionalString, created: optionalString,
    realm: reference('realm'), device: optionalString, kind: optionalString, capacity: { type: ['string', 'number', 'null'] },
    actions: arrayOf(actionLink), instance: { anyOf: [reference('instance'), object({})] },
  }),
  xml: (s, v) => {
    const self = v.href('storage_volumes', s.id);
    const attached = present(s.instanceId);
    return el('storage_volume', { href: self, id: s.id }, [
      present(s.created) ? textEl('created', s.created) : undefined,
      textEl('capacity', s.capacity, { unit: 'GB' }),
      present(s.kind) ? textEl('kind', s.kind) : undefined,
      textEl('name', s.name ?? s.id),
      attached && present(s.device) ? textEl('device', s.device) : undefined,
      ...(present(s.realmId) ? [el('realm', { href: v.href('realms', s.realmId), id: s.realmId }), textEl('realm_id', s.realmId)] : []),
      present(s.state) ? textEl('state', s.state) : undefined,
      attached
        ? el('mount', {}, [
            el('instance', { href: v.href('instances', s.instanceId!), id: s.instanceId }),
            present(s.device) ? el('device', { name: s.device }) : undefined,
          ])
        : undefined,
      s.actions && s.actions.length > 0
        ? el('actions', {}, s.actions.map((a) => link(a === 'destroy' ? self : `${self}/${a}`, a, 'post')))
        : undefined,
    ]);
  },
  json: (s, v) => {
    const self = v.href('storage_volumes', s.id);
    return {
      id: s.id, href: self, name: s.name ?? null, description: s.description ?? null, state: s.state ?? null,
      created: s.created ?? null,
      realm: { id: s.realmId ?? null, href: v.refHref('realms', s.realmId), rel: 'realm' },
      device: s.device ?? null, kind: s.kind ?? null, capacity: s.capacity ?? null,
      actions: (s.actions ?? []).map((a) => ({ href: a === 'destroy' ? self : `${self}/${a}`, rel: a })),
      instance: present(s.instanceId) ? { id: s.instanceId, href: v.href('instances', s.instanceId), rel: 'instance' } : {},
    };
  },
};

export const storageSnapshotView: View<StorageSnapshot> = {
  singular: 'storage_snapshot',
  plural: 'storage_snapshots',
  schema: object({ id: string, href: string, state: optionalString, storage_volume: reference('storage_volume'), created: optionalString }),
  // `<name>` carries the id, as the original did (spec §11.9).
  xml: (s, v) =>
    el('storage_snapshot', { href: v.href('storage_snapshots', s.id), id: s.id }, [
      textEl('name', s.id),
      present(s.created) ? textEl('created', s.created) : undefined,
      present(s.volumeId) ? el('storage_volume', { href: v.href('storage_volumes', s.volumeId), id: s.volumeId }) : undefined,
    ]),
  json: (s, v) => ({
    id: s.id, href: v.href('storage_snapshots', s.id), state: s.state ?? null,
    storage_volume: { id: s.volumeId ?? null, href: v.refHref('storage_volumes', s.volumeId), rel: 'storage_volume' },
    created: s.created ?? null,
  }),
};

export const bucketView: View<Bucket> = {
  singular: 'bucket',
  plural: 'buckets',
  schema: object({
    id: string, href: string, name: string, size: { type: ['string', 'number', 'null'] }, blob_list: arrayOf(reference('blob')),
  }, {
    // Only on drivers with the bucket_cdn feature.
    cdn: object({
      enabled: { type: 'boolean' }, uri: optionalString, ssl_uri: optionalString, streaming_uri: optionalString, ios_uri: optionalString,
      ttl: { type: ['number', 'null'] },
    }),
  }),
  xml: (b, v) =>
    el('bucket', { href: v.href('buckets', b.id), id: b.id }, [
      textEl('name', b.name ?? b.id),
      textEl('size', b.size),
      ...b.blobIds.map((id) => el('blob', { href: v.href('buckets', b.id, id), id })),
      b.cdn
        ? el('cdn', { enabled: String(b.cdn.enabled) }, [
            present(b.cdn.uri) ? textEl('uri', b.cdn.uri) : undefined,
            present(b.cdn.sslUri) ? textEl('ssl_uri', b.cdn.sslUri) : undefined,
            present(b.cdn.streamingUri) ? textEl('streaming_uri', b.cdn.streamingUri) : undefined,
            present(b.cdn.iosUri) ? textEl('ios_uri', b.cdn.iosUri) : undefined,
            present(b.cdn.ttlSeconds) ? textEl('ttl', b.cdn.ttlSeconds, { unit: 'seconds' }) : undefined,
          ])
        : undefined,
    ]),
  json: (b, v) => ({
    id: b.id, href: v.href('buckets', b.id), name: b.name ?? b.id, size: b.size ?? null,
    blob_list: b.blobIds.map((id) => ({ rel: 'blob', href: v.href('buckets', b.id, id), id })),
    ...(b.cdn
      ? {
          cdn: {
            enabled: b.cdn.enabled, uri: b.cdn.uri ?? null, ssl_uri: b.cdn.sslUri ?? null,
            streaming_uri: b.cdn.streamingUri ?? null, ios_uri: b.cdn.iosUri ?? null, ttl: b.cdn.ttlSeconds ?? null,
          },
        }
      : {}),
  }),
};

export const blobView: View<Blob> = {
  singular: 'blob',
  plural: 'blobs',
  schema: object({
    id: string, href: string, bucket: reference('bucket'), content_length: { type: ['integer', 'null'] }, content_type: optionalString,
    last_modified: optionalString, content: optionalString, user_metadata: stringMap,
  }),
  xml: (b, v) =>
    el('blob', { href: v.href('buckets', b.bucketId, b.id), id: b.id }, [
      textEl('bucket', b.bucketId),
      textEl('content_length', b.contentLength),
      textEl('content_type', b.contentType),
      textEl('last_modified', b.lastModified),
      el('user_metadata', {}, Object.entries(b.userMetadata).map(([key, value]) => cdataEl('entry', value, { key }))),
      el('content', { href: v.href('buckets', b.bucketId, b.id, 'content'), rel: 'blob_content' }),
    ]),
  json: (b, v) => ({
    id: b.id,
    href: v.href('buckets', b.bucketId, b.id),
    bucket: { rel: 'bucket', href: v.href('buckets', b.bucketId), id: b.bucketId },
    content_length: b.contentLength ?? null,
    content_type: b.contentType ?? null,
    last_modified: b.lastModified ?? null,
    content: b.content ?? null,
    user_metadata: b.userMetadata,
  }),
};
