/**
 * safetensors (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
 * JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }`
 * (offsets relative to the data that follows), then the raw little-endian tensor bytes.
 *
 * Written here rather than taken from npm: the format is those three lines, the JavaScript
 * packages for it either pull in a tensor framework or are unmaintained, and owning the parser
 * lets a file on disk be read tensor by tensor (a checkpoint shard is gigabytes; a fit needs
 * three of its tensors) and every malformed file end in this library's argument error.
 */
import * as fs from 'node:fs';
import { argumentError, invalidArgument } from '../errors';
import { shapeText } from '../tensor';
import { decodeFloats, DTYPE_BYTES, encodeFloats, FLOAT_DTYPES, FloatDtype } from './dtype';
import { numel, parseWriteDtype, TensorEntry, TensorSet, unsupportedDtype, writableEntries, WritableTensors } from './tensors';

/** Largest header the reader accepts (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Options of the safetensors readers. */
export interface ReadOptions {
  /** How errors name the file (default: the path, or 'safetensors' for bytes). */
  name?: string;
}

function headerLength(first8: Uint8Array, total: number, source: string): number {
  if (total < 8) {
    throw argumentError(source, 'be a safetensors file (an 8-byte header length, a JSON header, then the data)', `${total} bytes`, RangeError);
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw argumentError(`${source} header length`, `be at most ${MAX_HEADER_BYTES} bytes`, `${n} (not a safetensors file?)`, RangeError);
  }
  const len = Number(n);
  if (8 + len > total) {
    throw argumentError(source, `hold its ${len}-byte header`, `${total - 8} bytes after the length (truncated file?)`, RangeError);
  }
  return len;
}

function isIntegerArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function parseHeader(bytes: Uint8Array, dataLength: number, source: string): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw argumentError(`${source} header`, 'be UTF-8 JSON', 'bytes that are not UTF-8', TypeError);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw argumentError(`${source} header`, 'be valid JSON', `${(e as Error).message} (truncated or not a safetensors file?)`, TypeError);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw invalidArgument(`${source} header`, 'a JSON object', header, TypeError);
  }
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    const label = `${source}[${JSON.stringify(name)}]`;
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${source} __metadata__`, 'an object of strings', v, TypeError);
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw invalidArgument(`${source} __metadata__[${JSON.stringify(k)}]`, 'a string', s, TypeError);
        metadata[k] = s;
      }
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(label, 'an object { dtype, shape, data_offsets }', v, TypeError);
    const { dtype, shape, data_offsets: offsets } = v as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw invalidArgument(`${label}.dtype`, `a safetensors dtype (${Object.keys(DTYPE_BYTES).join(', ')})`, dtype, TypeError);
    }
    if (!isIntegerArray(shape)) throw invalidArgument(`${label}.shape`, 'an array of non-negative integers', shape, TypeError);
    if (!isIntegerArray(offsets) || offsets.length !== 2) {
      throw invalidArgument(`${label}.data_offsets`, 'an array [begin, end] of non-negative integers', offsets, TypeError);
    }
    const [begin, end] = offsets;
    if (begin > end || end > dataLength) {
      throw argumentError(`${label}.data_offsets`, `lie within the ${dataLength}-byte data buffer (begin ≤ end ≤ ${dataLength})`, `[${begin}, ${end}]${end > dataLength ? ' (truncated file?)' : ''}`, RangeError);
    }
    const bytesNeeded = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== bytesNeeded) {
      throw argumentError(`${label}.data_offsets`, `span ${bytesNeeded} bytes (${dtype} ${shapeText(shape)})`, `[${begin}, ${end}], ${end - begin} bytes`, RangeError);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  return { entries, metadata };
}

function makeSet(source: string, parsed: { entries: HeaderEntry[]; metadata: Record<string, string> }, read: (begin: number, end: number) => Uint8Array): TensorSet {
  const supported = 'F64, F32, F16 or BF16';
  const entries: TensorEntry[] = parsed.entries.map((h) => ({
    name: h.name,
    dtype: h.dtype,
    shape: h.shape,
    decode: () => {
      if (!(FLOAT_DTYPES as readonly string[]).includes(h.dtype)) throw unsupportedDtype(`${source}[${JSON.stringify(h.name)}].dtype`, h.dtype, supported);
      return decodeFloats(read(h.begin, h.end), h.dtype as FloatDtype, numel(h.shape), true);
    },
  }));
  return new TensorSet('safetensors', source, entries, parsed.metadata);
}

/**
 * Parses a safetensors file held in memory. Tensors are decoded to float64 when asked for
 * (`set.get(name)`); F64, F32, F16 and BF16 convert exactly, other dtypes (I64, I32, U8, BOOL,
 * F8…) are listed but rejected on `get` with an argument error.
 * @param bytes the whole file.
 * @param opts `{ name }`: how errors name the file.
 * @returns a {@link TensorSet} with the file's `__metadata__`.
 * @throws TypeError / RangeError `invalid argument: …` for a truncated file, a header that is
 *   not JSON, an unknown dtype, offsets outside the data or not matching dtype × shape.
 * @example
 * const set = pa.io.readSafetensors(fs.readFileSync('model.safetensors'));
 * set.get('0.weight');   // { data: Float64Array, shape: [hidden, in], dtype: 'F32' }
 */
export function readSafetensors(bytes: Uint8Array, opts: ReadOptions = {}): TensorSet {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array (or Buffer)', bytes, TypeError);
  const source = opts.name ?? 'safetensors';
  const n = headerLength(bytes.subarray(0, 8), bytes.length, source);
  const dataStart = 8 + n;
  const parsed = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, source);
  return makeSet(source, parsed, (b, e) => bytes.subarray(dataStart + b, dataStart + e));
}

function readAt(fd: number, length: number, position: number): Uint8Array {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const got = fs.readSync(fd, buf, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return buf.subarray(0, done);
}

/**
 * Opens a safetensors file on disk: reads and checks its header now, each tensor's bytes only
 * when it is decoded (so loading one layer of a multi-gigabyte shard reads only that layer).
 * @param path the file.
 * @param opts `{ name }`: how errors name the file (default: the path).
 * @returns a {@link TensorSet}.
 * @throws the errors of {@link readSafetensors}, and Node's own (ENOENT…) when the file cannot be read.
 * @example
 * const set = pa.io.openSafetensors('model.safetensors');
 * set.names;   // ['h.0.mlp.c_fc.weight', …]
 */
export function openSafetensors(path: string, opts: ReadOptions = {}): TensorSet {
  const source = opts.name ?? path;
  const fd = fs.openSync(path, 'r');
  let parsed: { entries: HeaderEntry[]; metadata: Record<string, string> };
  let dataStart: number;
  try {
    const total = fs.fstatSync(fd).size;
    const n = headerLength(readAt(fd, 8, 0), total, source);
    dataStart = 8 + n;
    parsed = parseHeader(readAt(fd, n, 8), total - dataStart, source);
  } finally {
    fs.closeSync(fd);
  }
  return makeSet(source, parsed, (b, e) => {
    const f = fs.openSync(path, 'r');
    try {
      const bytes = readAt(f, e - b, dataStart + b);
      if (bytes.length !== e - b) throw argumentError(source, `hold ${e - b} bytes at offset ${dataStart + b}`, `${bytes.length} (the file changed since it was opened?)`, RangeError);
      return bytes;
    } finally {
      fs.closeSync(f);
    }
  });
}

/** Options of {@link writeSafetensors}. */
export interface WriteOptions {
  /** Element type of every tensor: 'F64' (default), 'F32', 'F16' or 'BF16' (rounded to nearest even). */
  dtype?: FloatDtype;
  /** `__metadata__`: string keys to string values. */
  metadata?: Record<string, string>;
}

/**
 * Serializes named tensors as safetensors (header padded with spaces to 8 bytes, tensors in the
 * given order, contiguous).
 * @param tensors `{ name: { data, shape } | Float64Array | number[] }`, a Map, or [name, tensor] pairs.
 * @param opts `{ dtype = 'F64', metadata }`.
 * @returns the file's bytes.
 * @throws TypeError / RangeError `invalid argument: …` for a data length that does not match
 *   its shape, a duplicate name, a non-string metadata value, an unknown dtype.
 * @example
 * fs.writeFileSync('w.safetensors', pa.io.writeSafetensors({ W1: { data, shape: [16, 8] } }, { dtype: 'F32' }));
 */
export function writeSafetensors(tensors: WritableTensors, opts: WriteOptions = {}): Uint8Array {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts, TypeError);
  const dtype = parseWriteDtype(opts.dtype, FLOAT_DTYPES, 'F64');
  const list = writableEntries(tensors, 'tensors');
  const header: Record<string, unknown> = {};
  if (opts.metadata !== undefined) {
    const m = opts.metadata as unknown;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw invalidArgument('options.metadata', 'an object of strings', m, TypeError);
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') throw invalidArgument(`options.metadata[${JSON.stringify(k)}]`, 'a string', v, TypeError);
    }
    header.__metadata__ = m;
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of list) {
    if (t.name === '__metadata__') throw invalidArgument('tensors', 'free of the reserved name "__metadata__"', '"__metadata__"', RangeError, true);
    const raw = encodeFloats(t.data, dtype);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + raw.length] };
    blobs.push(raw);
    offset += raw.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const b of blobs) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}
