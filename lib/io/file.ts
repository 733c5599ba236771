/**
 * Reading a weights file from disk whatever its format, told apart by content (not by name):
 * .npy by its magic, .npz by the zip signature, otherwise safetensors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNpy, readNpy } from './npy';
import { isZip, readNpz } from './npz';
import { openSafetensors } from './safetensors';
import { TensorSet } from './tensors';

/** Options of {@link readTensorFile}. */
export interface ReadFileOptions {
  /** How errors name the file (default: the path as given). */
  name?: string;
}

function head(file: string): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const n = fs.readSync(fd, buf, 0, 8, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens a weights file: safetensors (read lazily, tensor by tensor), .npz (all entries), or a
 * single .npy array (one tensor named after the file, `W1.npy` → `W1`).
 * @param file the path.
 * @param opts `{ name }`: how errors name the file.
 * @returns a {@link TensorSet}; `get(name)` decodes a tensor to float64.
 * @throws TypeError / RangeError `invalid argument: …` for a malformed file (see
 *   {@link readSafetensors}, {@link readNpy}, {@link readNpz}); Node's error (code ENOENT,
 *   EISDIR…) when the file cannot be read.
 * @example
 * const set = pa.io.readTensorFile('mlp.safetensors');
 * const net = pa.io.loadMlp(set, { w1: '0.weight', b1: '0.bias', w2: '2.weight', b2: '2.bias', activation: 'relu' });
 */
export function readTensorFile(file: string, opts: ReadFileOptions = {}): TensorSet {
  const source = opts.name ?? file;
  const start = head(file);
  if (isNpy(start)) {
    const bytes = fs.readFileSync(file);
    const t = readNpy(bytes, { name: source });
    const name = path.basename(file).replace(/\.npy$/i, '');
    return new TensorSet('npy', source, [{ name, dtype: t.dtype, shape: t.shape, decode: () => t.data.slice() }]);
  }
  if (isZip(start)) return readNpz(fs.readFileSync(file), { name: source });
  return openSafetensors(file, { name: source });
}
