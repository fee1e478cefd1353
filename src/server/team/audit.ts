// The audit log: one JSON line per write and per refused credential, to a
// file (appended, 0600) or standard output. Who is a token's id and name, or a
// keyed hash of a Basic user name; never a secret, never a request body.
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { ConfigError } from '../config.js';

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
  /** The EC2 front end's action (its route is /ec2). */
  action?: string;
  /** The EC2 access key of a request not made with a token's key pair. */
  accessKeyId?: string;
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
    if (!this.#owned) {
      this.#out = process.stdout;
      return;
    }
    // Opened now, so that a path that cannot be written stops the start-up instead of a later request.
    let fd: number;
    try {
      fd = openSync(target, 'a', 0o600);
    } catch (error) {
      throw new ConfigError(`Cannot open the audit log ${target}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    this.#out = createWriteStream(target, { fd });
    // A full disk must not stop the server; it is said once on standard error.
    this.#out.once('error', (error: NodeJS.ErrnoException) => console.error(`deltacloudd: audit log ${target}: ${error.code ?? error.message}`));
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
