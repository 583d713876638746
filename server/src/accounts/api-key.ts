import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../lib/ids.js';

/** Key scopes: flow keys create and read approvals; agent keys also decide. */
export const KEY_SCOPES = ['flow', 'agent'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

const PREFIX: Record<KeyScope, string> = { flow: 'cqp_flow_', agent: 'cqp_agent_' };
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // 32 random bytes (256 bits) in base62
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = /^cqp_(flow|agent)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

function base62(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(length, '0');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text)) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC32 of prefix and body, so neither a typo nor a swapped scope prefix passes. */
const checksum = (prefixAndBody: string) => {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(crc32(prefixAndBody));
  return base62(buf, CHECKSUM_LENGTH);
};

/** A new key: readable scope prefix, 256 random bits in base62, CRC32 checksum (GitHub-style). */
export function generateApiKey(scope: KeyScope): string {
  const body = base62(randomBytes(32), BODY_LENGTH).slice(-BODY_LENGTH);
  return `${PREFIX[scope]}${body}${checksum(PREFIX[scope] + body)}`;
}

/** Scope of a well-formed key with a valid checksum, else null; no database needed. */
export function parseApiKey(key: string): { scope: KeyScope } | null {
  const match = KEY_PATTERN.exec(key);
  if (!match) return null;
  const [, scope, body, sum] = match;
  if (checksum(`cqp_${scope}_${body}`) !== sum) return null;
  return { scope: scope as KeyScope };
}

/** Keys are stored only as this hash. */
export const hashApiKey = (key: string) => sha256Hex(key);

/** Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export const generateSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
