// Small helpers shared by the mock's operations: clock, time formats, IPv4
// arithmetic and fake key material.
import { randomBytes, randomInt } from 'node:crypto';

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:MM:SS +ZZZZ` in the server's local time zone (how the original printed `Time.now`). */
export function formatLocalTime(d = new Date()): string {
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} `
    + `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} `
    + `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** Dotted IPv4 → unsigned 32-bit number, or undefined when not an IPv4 address. */
export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A random address inside an IPv4 CIDR block (network and broadcast included, as the original). */
export function randomAddressIn(cidr: string): string | undefined {
  const [ip, prefixText = '32'] = cidr.split('/');
  const base = ipv4ToNumber(ip ?? '');
  const prefix = Number(prefixText);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return numberToIpv4(network + Math.floor(Math.random() * size));
}

/** 20 random bytes as lower-case hex pairs joined by `:` (mock-driver.md §6.4). */
export function mockFingerprint(): string {
  return [...randomBytes(20)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const PEM_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=/+';

function randomPemChars(count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += PEM_ALPHABET[randomInt(PEM_ALPHABET.length)];
  return s;
}

/** A fake private key shaped like the original's: 21 lines of 75 characters, then 68 glued to the END marker. */
export function mockPem(): string {
  let pem = '-----BEGIN RSA PRIVATE KEY-----\n';
  for (let i = 0; i < 21; i++) pem += `${randomPemChars(75)}\n`;
  return `${pem}${randomPemChars(68)}-----END RSA PRIVATE KEY-----`;
}
