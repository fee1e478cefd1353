// @deltacloud-ts/client: a typed, hypermedia-aware client for the Deltacloud API.
export * from './client.js';
export * from './errors.js';
export type * from './schemas.js';
