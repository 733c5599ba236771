/**
 * NumPy .npy (format versions 1.0, 2.0, 3.0): the magic "\x93NUMPY", a version, a header length,
 * a Python dict literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`, then the
 * raw array. Float arrays of either byte order (f8, f4, f2) in C or Fortran order are read;
 * arrays are written little-endian in C order, version 1.0, as numpy.save does.
 *
 * No npm package: the format is one header line, and the packages for it either read only
 * little-endian C-order arrays or bring a numerical framework along.
 */
import { argumentError, invalidArgument } from '../errors';
import { shapeText } from '../tensor';
import { decodeFloats, encodeFloats, FloatDtype } from './dtype';
import { numel, parseWriteDtype, unsupportedDtype, WeightTensor, writableEntries, WritableTensor } from './tensors';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy dtype characters of the float types read and written, and the safetensors names used for them. */
const NPY_FLOATS: Readonly<Record<string, FloatDtype>> = { f8: 'F64', f4: 'F32', f2: 'F16' };

/** The dtype name a {@link TensorSet} reports: 'F64', 'F32', 'F16' for floats, numpy's string otherwise. */
export function npyDtypeName(descr: string): string {
  const m = /^[<>=]([a-z]\d+)$/.exec(descr);
  return (m && NPY_FLOATS[m[1]]) || descr;
}

/**
 * Whether the bytes start with the .npy magic "\x93NUMPY".
 * @param bytes a file's first bytes (6 suffice).
 * @returns true for a .npy file.
 * @example pa.io.isNpy(fs.readFileSync('W1.npy'))   // true
 */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

/** The parsed .npy header. */
export interface NpyHeader {
  /** numpy's dtype string, e.g. '<f8', '>f4'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the array data. */
  dataOffset: number;
}

/** Parses the header of a .npy file (does not decode the data). */
export function parseNpyHeader(bytes: Uint8Array, source: string): NpyHeader {
  if (!isNpy(bytes)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw argumentError(source, 'start with the .npy magic "\\x93NUMPY"', bytes.length === 0 ? 'an empty file' : `bytes ${head}`, TypeError);
  }
  if (bytes.length < 10) throw argumentError(source, 'hold a .npy header', `${bytes.length} bytes (truncated file?)`, RangeError);
  const major = bytes[6];
  if (major < 1 || major > 3) throw invalidArgument(`${source} format version`, '1, 2 or 3', major);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = major >= 2;
  if (wide && bytes.length < 12) throw argumentError(source, 'hold a .npy header', `${bytes.length} bytes (truncated file?)`, RangeError);
  const len = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = wide ? 12 : 10;
  if (start + len > bytes.length) throw argumentError(source, `hold its ${len}-byte header`, `${bytes.length - start} bytes (truncated file?)`, RangeError);
  const text = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + len));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  if (descr === undefined) {
    throw argumentError(`${source} header`, "have a simple 'descr' (structured arrays are not read)", JSON.stringify(text.trim()), TypeError);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  if (fortran === undefined) throw argumentError(`${source} header`, "have 'fortran_order': True or False", JSON.stringify(text.trim()), TypeError);
  const shapeText_ = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (shapeText_ === undefined) throw argumentError(`${source} header`, "have a 'shape' tuple", JSON.stringify(text.trim()), TypeError);
  const parts = shapeText_
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!parts.every((s) => /^\d+L?$/.test(s))) throw argumentError(`${source} header`, "have a 'shape' of non-negative integers", `(${shapeText_})`, TypeError);
  const shape = parts.map((s) => Number.parseInt(s, 10));
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset: start + len };
}

/** Column-major data of `shape` → row-major. */
function fortranToC(src: Float64Array, shape: number[]): Float64Array {
  const k = shape.length;
  if (k < 2) return src;
  const out = new Float64Array(src.length);
  const srcStride = new Array<number>(k);
  let s = 1;
  for (let d = 0; d < k; d++) {
    srcStride[d] = s;
    s *= shape[d];
  }
  const idx = new Array<number>(k).fill(0);
  let off = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[off];
    // Advance the row-major odometer (last index fastest) and the source offset with it.
    for (let d = k - 1; d >= 0; d--) {
      idx[d]++;
      off += srcStride[d];
      if (idx[d] < shape[d]) break;
      off -= idx[d] * srcStride[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Options of {@link readNpy}. */
export interface NpyReadOptions {
  /** How errors name the file (default 'npy'). */
  name?: string;
}

/**
 * Reads a .npy array: float64, float32 or float16 in either byte order and C or Fortran order,
 * converted exactly to a row-major float64 tensor.
 * @param bytes the whole file.
 * @param opts `{ name }`: how errors name the file.
 * @returns `{ data: Float64Array, shape, dtype: 'F64' | 'F32' | 'F16' }`.
 * @throws TypeError / RangeError `invalid argument: …` for a bad magic or header, an
 *   unsupported dtype (integers, complex, objects, structured), or truncated data.
 * @example
 * const W1 = pa.io.readNpy(fs.readFileSync('W1.npy'));
 */
export function readNpy(bytes: Uint8Array, opts: NpyReadOptions = {}): WeightTensor {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array (or Buffer)', bytes, TypeError);
  const source = opts.name ?? 'npy';
  const h = parseNpyHeader(bytes, source);
  const m = /^([<>=])(f[248])$/.exec(h.descr);
  const dtype = m ? NPY_FLOATS[m[2]] : undefined;
  if (!m || !dtype) throw unsupportedDtype(`${source} dtype`, h.descr, "'<f8', '>f8', '<f4', '>f4', '<f2' or '>f2'");
  const count = numel(h.shape);
  const size = Number(m[2].slice(1));
  const have = bytes.length - h.dataOffset;
  if (have < count * size) {
    throw argumentError(source, `hold ${count * size} bytes of data (${h.descr} ${shapeText(h.shape)})`, `${have} (truncated file?)`, RangeError);
  }
  const little = m[1] !== '>';
  const raw = decodeFloats(bytes.subarray(h.dataOffset), dtype, count, little);
  return { data: h.fortranOrder ? fortranToC(raw, h.shape) : raw, shape: h.shape, dtype };
}

/** numpy dtype names the writers accept. */
export type NpyDtype = 'f8' | 'f4' | 'f2';

/** Options of {@link writeNpy}. */
export interface NpyWriteOptions {
  /** 'f8' (float64, default), 'f4' or 'f2' (rounded to nearest even). */
  dtype?: NpyDtype;
}

/**
 * Serializes one tensor as .npy (version 1.0, little-endian, C order), loadable by numpy.load.
 * @param tensor `{ data, shape }`, a typed array or an array of numbers (1-D).
 * @param opts `{ dtype = 'f8' }`.
 * @returns the file's bytes.
 * @throws TypeError / RangeError `invalid argument: …` when data does not match the shape.
 * @example
 * fs.writeFileSync('beta.npy', pa.io.writeNpy(fit.beta));
 */
export function writeNpy(tensor: WritableTensor, opts: NpyWriteOptions = {}): Uint8Array {
  const npy = parseWriteDtype(opts.dtype, ['f8', 'f4', 'f2'] as const, 'f8');
  const [t] = writableEntries([['tensor', tensor]], 'tensor');
  const dims = t.shape.length === 1 ? `${t.shape[0]},` : t.shape.join(', ');
  let header = `{'descr': '<${npy}', 'fortran_order': False, 'shape': (${dims}), }`;
  // numpy pads the header with spaces and a newline so the data starts at a multiple of 64.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = encodeFloats(t.data, NPY_FLOATS[npy]);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}
