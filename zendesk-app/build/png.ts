import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309), as PNG chunks and ZIP entries need it. */
export function crc32(data: Uint8Array, seed = 0): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes 8-bit RGBA pixels (row-major, width × height × 4 bytes) as a PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // [1] filter type "None" for every row
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA (PNG-24 with alpha)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number; colorType: number } | null {
  const buf = Buffer.from(png);
  if (buf.length < 33 || buf.readUInt32BE(0) !== 0x89504e47 || buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), colorType: buf[25] as number };
}

type Rgba = readonly [number, number, number, number];

/** Distance from point p to the segment a–b. */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * The Cheqpoint mark: a check inside a ring, drawn with signed distances so edges are anti-aliased.
 * `background` null leaves the square transparent (logo-small); otherwise it fills it edge to edge
 * (Zendesk asks for no rounded corners on logo.png).
 */
export function drawLogo(size: number, options: { background: Rgba | null; ring: Rgba; check: Rgba }): Buffer {
  const pixels = new Uint8Array(size * size * 4);
  const c = size / 2;
  const ringRadius = size * 0.36;
  const ringWidth = size * 0.055;
  const checkWidth = size * 0.075;
  const points = [
    [0.34, 0.52],
    [0.45, 0.63],
    [0.67, 0.39],
  ].map(([x, y]) => [(x as number) * size, (y as number) * size]) as [number, number][];
  const [p0, p1, p2] = points as [[number, number], [number, number], [number, number]];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      let color: [number, number, number, number] = options.background ? [...options.background] : [0, 0, 0, 0];
      const blend = (layer: Rgba, coverage: number) => {
        const a = (layer[3] / 255) * coverage;
        const outA = a + (color[3] / 255) * (1 - a);
        if (outA <= 0) return;
        for (let i = 0; i < 3; i++) {
          color[i] = ((layer[i] as number) * a + (color[i] as number) * (color[3] / 255) * (1 - a)) / outA;
        }
        color[3] = outA * 255;
      };
      const ringDistance = Math.abs(Math.hypot(px - c, py - c) - ringRadius) - ringWidth / 2;
      blend(options.ring, Math.max(0, Math.min(1, 0.5 - ringDistance)));
      const checkDistance =
        Math.min(segmentDistance(px, py, ...p0, ...p1), segmentDistance(px, py, ...p1, ...p2)) - checkWidth / 2;
      blend(options.check, Math.max(0, Math.min(1, 0.5 - checkDistance)));
      color = color.map((v) => Math.round(v)) as typeof color;
      pixels.set(color, (y * size + x) * 4);
    }
  }
  return encodePng(size, size, pixels);
}

/** Brand colours of the logos. */
export const BRAND = {
  teal: [3, 105, 110, 255],
  white: [255, 255, 255, 255],
  ink: [23, 73, 77, 255],
} as const satisfies Record<string, Rgba>;
