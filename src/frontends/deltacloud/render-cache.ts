// Rendered reads, reused while the driver's revision is unchanged. Only for
// drivers that can tell cheaply when their state changed (Driver.revision);
// keyed by everything a rendering depends on, including a digest of the
// credentials (listings depend on who asks), never the credentials themselves.
import { hash } from 'node:crypto';

export interface CachedRendering {
  contentType: string;
  bytes: Buffer;
  etag: string;
}

export class RenderCache {
  private readonly entries = new Map<string, { revision: string; rendering: CachedRendering }>();

  constructor(private readonly maxEntries = 1000) {}

  static key(parts: { driver: string; provider?: string; format: string; base: string; authorization?: string; url: string }): string {
    const who = parts.authorization ? hash('sha256', parts.authorization) : '-';
    return `${parts.driver}\n${parts.provider ?? ''}\n${parts.format}\n${parts.base}\n${who}\n${parts.url}`;
  }

  get(key: string, revision: string): CachedRendering | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.revision !== revision) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.rendering;
  }

  set(key: string, revision: string, rendering: CachedRendering): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      // Oldest first: Map iterates in insertion order.
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { revision, rendering });
  }
}
