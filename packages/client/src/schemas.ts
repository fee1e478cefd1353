// Generated from the JSON Schemas of the server's OpenAPI document by scripts/client/types.ts: do not edit.
// test/client/types.test.ts fails when this file and the document disagree.

export interface ErrorDocument {
  code: number;
  message: string;
  error: string;
}

export interface Address {
  id: string;
  href: string;
  associated: boolean;
  instance_id?: string;
}

export interface BlobInfo {
  id: string;
  href: string;
  bucket: {
    id: string | null;
    href: string;
    rel: "bucket";
  };
  content_length: number | null;
  content_type: string | null;
  last_modified: string | null;
  content: string | null;
  user_metadata: Record<string, string>;
}

export interface Bucket {
  id: string;
  href: string;
  name: string;
  size: string | number | null;
  blob_list: Array<{
    id: string | null;
    href: string;
    rel: "blob";
  }>;
  cdn?: {
    enabled: boolean;
    uri: string | null;
    ssl_uri: string | null;
    streaming_uri: string | null;
    ios_uri: string | null;
    ttl: number | null;
  };
}

export interface Firewall {
  id: string;
  href: string;
  name: string;
  description: string | null;
  owner_id: string | null;
  rules: Array<{
    id: string;
    sources: Array<{
      type: "address";
      family: "ipv4" | "ipv6";
      address: string;
      prefix: string;
    } | {
      type: "group";
      name: string;
      owner: string;
    }>;
    allow_protocol?: string;
    port_from?: string;
    port_to?: string;
    direction?: string;
    rule_action?: string;
    log_rule?: string;
  }>;
}

export interface HardwareProfile {
  id: string;
  href: string;
  name: string;
  properties?: Record<string, string>;
}

export interface Image {
  id: string;
  href: string;
  name: string | null;
  description: string | null;
  owner: string | null;
  architecture: string | null;
  state: string | null;
  root_type: string;
  hardware_profiles: Array<{
    id: string | null;
    href: string;
    rel: "hardware_profile";
  }>;
  creation_time?: string;
}

export interface Instance {
  id: string;
  href: string;
  name: string | null;
  state: string | null;
  owner: string | null;
  image: {
    id: string | null;
    href: string;
    rel: "image";
  };
  realm: {
    id: string | null;
    href: string;
    rel: "realm";
  };
  actions: {
    href: string;
    rel: string;
    method?: string;
  }[];
  hardware_profile: {
    id: string | null;
    href: string;
    rel: "hardware_profile";
    properties: Record<string, string>;
  };
  public_addresses: Array<{
    address: string;
    type: "ipv4" | "ipv6" | "hostname" | "mac" | "vnc" | "unavailable";
    port?: string | number;
  }>;
  private_addresses: Array<{
    address: string;
    type: "ipv4" | "ipv6" | "hostname" | "mac" | "vnc" | "unavailable";
    port?: string | number;
  }>;
  storage_volumes: Array<{
    id: string | null;
    href: string;
    rel: "storage_volume";
  }>;
  create_time?: string;
  create_image?: true;
  firewalls?: Array<{
    id: string | null;
    href: string;
    rel: "firewall";
  }>;
  authentication_type?: "key";
  authentication?: {
    keyname?: string;
    user?: string;
    password?: string | null;
  };
}

export interface Key {
  id: string;
  href: string;
  credential_type: "key" | "password";
  username: string | null;
  password: string | null;
  state: string | null;
  pem_rsa_key?: string;
  fingerprint?: string;
}

export interface LoadBalancer {
  id: string;
  href: string;
  realms: Array<{
    id: string | null;
    href: string;
    rel: "realm";
  }>;
  listeners: Array<{
    id: string | null;
    protocol: string;
    load_balancer_port: string;
    instance_port: string;
  }>;
  instances: Instance[];
  public_addresses: string[];
  created_at: string | null;
}

export interface Metric {
  id: string;
  href: string;
  entity: string;
  properties: Array<{
    name: string;
    values: {
      minimum: number;
      maximum: number;
      average: number;
      timestamp: number;
      unit: string;
      partial?: true;
    }[] | null;
  }>;
}

export interface Network {
  id: string;
  name: string | null;
  href: string;
  state: string | null;
  address_blocks: Array<string | null>;
  subnets: {
    id: string;
    href: string;
  }[];
}

export interface NetworkInterface {
  id: string;
  name: string | null;
  href: string;
  network: {
    id: string | null;
    href: string;
  };
  instance: {
    id: string | null;
    href: string;
  };
  ip_address: string | null;
}

export interface Realm {
  id: string;
  href: string;
  name: string | null;
  state: string | null;
  limit: string | number | null;
}

export interface StorageSnapshot {
  id: string;
  href: string;
  state: string | null;
  storage_volume: {
    id: string | null;
    href: string;
    rel: "storage_volume";
  };
  created: string | null;
}

export interface StorageVolume {
  id: string;
  href: string;
  name: string | null;
  description: string | null;
  state: string | null;
  created: string | null;
  realm: {
    id: string | null;
    href: string;
    rel: "realm";
  };
  device: string | null;
  kind: string | null;
  capacity: string | number | null;
  actions: {
    href: string;
    rel: string;
    method?: string;
  }[];
  instance: {
    id: string | null;
    href: string;
    rel: "instance";
  } | (Record<string, never>);
}

export interface Subnet {
  id: string;
  name: string | null;
  href: string;
  type: string | null;
  state: string | null;
  address_block: string | null;
  network: {
    id: string | null;
    href: string;
  };
}

export interface EntryPoint {
  api: {
    version: string;
    driver: string;
    provider: string;
    links: {
      rel: string;
      href: string;
      features: {
        name: string;
        rel: string;
        params: string[];
        constraints: Record<string, unknown>;
      }[][];
    }[];
  };
}

export interface CommandResult {
  instance: {
    id: string;
    public_address: string | null;
    command: string;
    output: string | null;
  };
}

export interface Driver {
  driver: {
    name: string;
    id: string;
    entrypoints?: Record<string, Record<string, string>>;
    username?: string;
    password?: string;
  };
}

export type Drivers = Record<string, {
  name: string;
  entrypoints?: Record<string, Record<string, string>>;
  username?: string;
  password?: string;
}>;

export type InstanceStates = {
  name: string;
  transitions: {
    to: string;
    action?: string;
    auto?: "true";
  }[];
}[];
