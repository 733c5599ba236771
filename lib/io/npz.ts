/**
 * NumPy .npz: a zip archive of .npy files, one per array (`name.npy`), stored (numpy.savez) or
 * deflated (numpy.savez_compressed), with zip64 headers. The zip container and inflate come
 * from fflate (pure JavaScript, no dependencies, zip64-aware); each entry is read by ./npy.
 */
import { unzipSync, zipSync } from 'fflate';
import { argumentError, invalidArgument } from '../errors';
import { NpyDtype, npyDtypeName, parseNpyHeader, readNpy, writeNpy } from './npy';
import { parseWriteDtype, TensorEntry, TensorSet, writableEntries, WritableTensors } from './tensors';

/**
 * Whether the bytes start like a zip archive (a local file header, or an empty archive's end record).
 * @param bytes a file's first bytes (4 suffice).
 * @returns true for a zip (.npz) file.
 * @example pa.io.isZip(fs.readFileSync('arrays.npz'))   // true
 */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** Options of {@link readNpz}. */
export interface NpzReadOptions {
  /** How errors name the file (default 'npz'). */
  name?: string;
}

/**
 * Reads a .npz archive: every `NAME.npy` entry becomes tensor NAME (other entries are ignored).
 * Headers are checked now, data decoded to float64 on `get`.
 * @param bytes the whole file.
 * @param opts `{ name }`: how errors name the file.
 * @returns a {@link TensorSet}.
 * @throws TypeError / RangeError `invalid argument: …` for a damaged archive or a bad .npy entry
 *   (an unsupported dtype is reported when that entry is decoded).
 * @example
 * const set = pa.io.readNpz(fs.readFileSync('mlp.npz'));
 * set.get('W1');
 */
export function readNpz(bytes: Uint8Array, opts: NpzReadOptions = {}): TensorSet {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array (or Buffer)', bytes, TypeError);
  const source = opts.name ?? 'npz';
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name.endsWith('.npy') });
  } catch (e) {
    throw argumentError(source, 'be a zip archive of .npy files (.npz)', `${(e as Error).message} (truncated or not an .npz?)`, TypeError);
  }
  const entries: TensorEntry[] = Object.entries(files).map(([file, data]) => {
    const name = file.slice(0, -'.npy'.length);
    const label = `${source}[${JSON.stringify(name)}]`;
    const h = parseNpyHeader(data, label);
    return { name, dtype: npyDtypeName(h.descr), shape: h.shape, decode: () => readNpy(data, { name: label }).data };
  });
  return new TensorSet('npz', source, entries);
}

/** Options of {@link writeNpz}. */
export interface NpzWriteOptions {
  /** 'f8' (default), 'f4' or 'f2'. */
  dtype?: NpyDtype;
  /** Deflate the entries, as numpy.savez_compressed (default false: stored, as numpy.savez). */
  compress?: boolean;
}

/**
 * Serializes named tensors as .npz (one little-endian C-order .npy per tensor), loadable by
 * numpy.load.
 * @param tensors `{ name: tensor }`, a Map, or [name, tensor] pairs.
 * @param opts `{ dtype = 'f8', compress = false }`.
 * @returns the archive's bytes.
 * @throws TypeError / RangeError `invalid argument: …` as {@link writeNpy}.
 * @example
 * fs.writeFileSync('fit.npz', pa.io.writeNpz({ alpha: fit.alpha, beta: fit.beta }, { compress: true }));
 */
export function writeNpz(tensors: WritableTensors, opts: NpzWriteOptions = {}): Uint8Array {
  const dtype = parseWriteDtype(opts.dtype, ['f8', 'f4', 'f2'] as const, 'f8');
  if (opts.compress !== undefined && typeof opts.compress !== 'boolean') throw invalidArgument('options.compress', 'a boolean', opts.compress, TypeError);
  const files: Record<string, Uint8Array> = {};
  for (const t of writableEntries(tensors, 'tensors')) files[`${t.name}.npy`] = writeNpy({ data: t.data, shape: t.shape }, { dtype });
  return zipSync(files, { level: opts.compress ? 6 : 0 });
}
