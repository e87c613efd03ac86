// The safetensors format (huggingface/safetensors), F32 only, as pure functions on bytes (browser-safe).
// Layout: 8 bytes little-endian u64 N = header length; N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}}
// padded with spaces so the data starts 8-byte aligned; then the data, little-endian, where each
// tensor's bytes are [b, e) relative to the start of the data. The tensors cover the data exactly:
// no overlaps, no holes, nothing after the last one (the reference implementation's rules).

/** A tensor on the host: shape and row-major float32 values. */
export interface HostArray {
  shape: readonly number[];
  data: Float32Array;
}

/** A parsed safetensors file: tensors by name (F32, row-major) and the string metadata. */
export interface Safetensors {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

/** The reference implementation's limit on the header size. */
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The bytes of a safetensors file holding `tensors` (stored sorted by name) and string metadata. */
export function serialize(
  tensors: Record<string, HostArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  const meta = Object.entries(metadata);
  for (const [k, v] of meta) {
    if (typeof v !== 'string')
      throw new Error(`safetensors: metadata '${k}' must be a string, got ${typeof v}`);
  }
  if (meta.length) header.__metadata__ = Object.fromEntries(meta);
  let offset = 0;
  for (const name of names) {
    if (name === '' || name === '__metadata__') throw new Error(`safetensors: invalid tensor name '${name}'`);
    const { shape, data } = tensors[name];
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`safetensors: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!(data instanceof Float32Array) || data.length !== numel(shape)) {
      throw new Error(
        `safetensors: tensor '${name}' of shape [${shape.join(', ')}] needs ${numel(shape)} float32 values`,
      );
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name];
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else {
      const dv = new DataView(out.buffer, at, data.byteLength);
      data.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    }
    at += data.length * 4;
  }
  return out;
}

/**
 * Reads safetensors bytes, checking everything the format promises; errors name `fileName` and say
 * what is wrong (truncation, header length, JSON, dtype, shapes, offsets).
 */
export function parse(bytes: Uint8Array, fileName = '<bytes>'): Safetensors {
  const fail = (msg: string): never => {
    throw new Error(`safetensors file ${fileName}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected the file contents as a Uint8Array');
  if (bytes.length < 8) {
    fail(`truncated: ${bytes.length} bytes, shorter than the 8-byte header length field`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER))
    fail(`bad header length ${n64} (over the format's limit of ${MAX_HEADER} bytes)`);
  const n = Number(n64);
  if (n < 2) fail(`bad header length ${n} (a JSON header needs at least 2 bytes)`);
  if (8 + n > bytes.length) {
    fail(
      `truncated or bad header length: the header is said to be ${n} bytes but only ${bytes.length - 8} follow`,
    );
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    fail(`the header does not start with '{' (bad header length ${n}, or not a safetensors file)`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!info || typeof info !== 'object' || Array.isArray(info)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== 'object') fail(`tensor '${name}': entry is not an object`);
    if (t.dtype !== 'F32')
      fail(`tensor '${name}' has dtype ${JSON.stringify(t.dtype)}; only F32 is supported`);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const off = t.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      off.some((d) => !Number.isSafeInteger(d) || d < 0) ||
      off[0] > off[1]
    ) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as number[];
    const expected = numel(shape as number[]) * 4;
    if (end - begin !== expected) {
      fail(
        `tensor '${name}' of shape [${(shape as number[]).join(', ')}] needs ${expected} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (const e of entries) {
    if (e.end > dataLen) {
      fail(
        `truncated: tensor '${e.name}' needs data bytes [${e.begin}, ${e.end}) but the file has only ${dataLen} data bytes`,
      );
    }
  }
  let covered = 0;
  for (const [i, e] of entries.entries()) {
    if (e.begin < covered) {
      fail(
        `tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap those of '${entries[i - 1].name}'`,
      );
    }
    if (e.begin > covered)
      fail(`data bytes [${covered}, ${e.begin}) belong to no tensor (a hole before '${e.name}')`);
    covered = e.end;
  }
  if (covered !== dataLen)
    fail(`${dataLen - covered} bytes after the last tensor's data (expected ${covered} data bytes)`);
  const tensors: Safetensors['tensors'] = {};
  for (const e of entries) {
    const count = (e.end - e.begin) / 4;
    const data = new Float32Array(count);
    const at = dataStart + e.begin;
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes.subarray(at, at + count * 4));
    } else {
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(at + i * 4, true);
    }
    tensors[e.name] = { shape: e.shape, data };
  }
  return { tensors, metadata };
}
