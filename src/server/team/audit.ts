// The audit log: one JSON line per write and per refused credential, to a
// file (appended, 0600) or standard output. Who is a token's id and name, or a
// keyed hash of a Basic user name; never a secret, never a request body.
import { createWriteStream, type WriteStream } from 'node:fs';

export interface AuditEntry {
  time: string;
  /** `token`, `basic` or `anonymous`. */
  caller: string;
  tokenId?: string;
  tokenName?: string;
  /** HMAC of the Basic user name (the same user gives the same value while the server's key is the same). */
  basicUser?: string;
  driver?: string;
  provider?: string;
  method: string;
  route: string;
  resource?: string;
  status: number;
  durationMs: number;
  /** Why the credentials were refused (auth failures only). */
  refused?: string;
}

export class AuditLog {
  readonly #out: WriteStream | NodeJS.WriteStream;
  readonly #owned: boolean;

  constructor(target: string) {
    this.#owned = target !== '-';
    this.#out = this.#owned ? createWriteStream(target, { flags: 'a', mode: 0o600 }) : process.stdout;
  }

  write(entry: AuditEntry): void {
    this.#out.write(JSON.stringify(entry) + '\n');
  }

  async close(): Promise<void> {
    if (!this.#owned) return;
    const out = this.#out;
    await new Promise<void>((resolve) => out.end(resolve));
  }
}
