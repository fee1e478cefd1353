// One way to read a driver's operator options (`drivers.<id>` of the server's
// configuration file): one message style ("drivers.<id>.<name> must be …"),
// durations always in milliseconds with the unit in the name (`…Ms`), and
// older names still read as deprecated aliases so existing files keep working.

export class OptionError extends Error {}

type ErrorClass = new (message: string) => Error;

export interface NumberRule {
  min: number;
  max?: number;
  /** Whole numbers only. */
  integer?: boolean;
}

export class OptionReader {
  /**
   * `scope` names the options in messages (`drivers.libvirt`); `errorClass`
   * lets a driver keep its own error type (the message style is this one).
   */
  constructor(
    private readonly raw: Record<string, unknown>,
    readonly scope: string,
    private readonly errorClass: ErrorClass = OptionError,
  ) {}

  /** Throws "<scope>.<name> <problem>". */
  fail(name: string, problem: string): never {
    throw new this.errorClass(`${this.scope}.${name} ${problem}`);
  }

  /** The raw value; absent, null and '' are all "not set". */
  value(name: string): unknown {
    const v = this.raw[name];
    return v === null || v === '' ? undefined : v;
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const v = this.value(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.fail(name, 'must be a non-empty string');
    return v;
  }

  boolean(name: string, fallback: boolean): boolean {
    const v = this.value(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(name, 'must be true or false');
    return v;
  }

  /** A number (numeric strings, as environment-derived files carry, are accepted). */
  number(name: string, rule: NumberRule): number | undefined;
  number(name: string, rule: NumberRule, fallback: number): number;
  number(name: string, rule: NumberRule, fallback?: number): number | undefined {
    const v = this.value(name);
    if (v === undefined) return fallback;
    const n = typeof v === 'string' ? Number(v) : v;
    const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < rule.min || (rule.max !== undefined && n > rule.max) || (rule.integer && !Number.isInteger(n))) {
      this.fail(name, `must be ${rule.integer ? 'a whole number' : 'a number'} ${range}`);
    }
    return n;
  }

  /**
   * A duration in milliseconds from `<base>Ms`, or from the deprecated
   * `<base>Seconds` (times 1000) when only that is set. `rule` is in ms.
   */
  durationMs(base: string, rule: NumberRule): number | undefined;
  durationMs(base: string, rule: NumberRule, fallback: number): number;
  durationMs(base: string, rule: NumberRule, fallback?: number): number | undefined {
    const ms = this.number(`${base}Ms`, rule);
    if (ms !== undefined) return ms;
    const seconds = this.number(`${base}Seconds`, { min: rule.min / 1000, max: rule.max === undefined ? undefined : rule.max / 1000 });
    return seconds === undefined ? fallback : Math.round(seconds * 1000);
  }

  /** A list of non-empty strings. */
  strings(name: string): string[] | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) this.fail(name, 'must be a list of strings');
    return v as string[];
  }
}
