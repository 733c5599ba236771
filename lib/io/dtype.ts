/**
 * Element types of weight files and their exact conversion to float64: F64 and F32 through typed
 * arrays, F16 and BF16 by their bit fields (every float16 and bfloat16 number is a float64
 * number, so reading is exact); writing rounds to nearest, ties to even, directly from float64
 * (no double rounding through float32).
 */

/** The float element types the readers decode and the writers encode. */
export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

/** Every {@link FloatDtype}, widest first. */
export const FLOAT_DTYPES: readonly FloatDtype[] = ['F64', 'F32', 'F16', 'BF16'];

/** Bytes per element of every safetensors dtype (those not in FLOAT_DTYPES are rejected on read). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * float16 bits → the float64 value they encode (exact).
 * @param h the 16 bits (sign, 5 exponent, 10 mantissa).
 * @returns the value (±Infinity, NaN, subnormals included).
 * @example pa.io.halfToNumber(0x3c00)   // 1
 */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * bfloat16 bits → the float64 value they encode (exact: bf16 is the top half of a float32).
 * @param h the 16 bits (sign, 8 exponent, 7 mantissa).
 * @returns the value.
 * @example pa.io.bfloat16ToNumber(0x3f80)   // 1
 */
export function bfloat16ToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** Floor of log2 |x| for finite non-zero x, exactly (Math.log2 can be off by one near powers of 2). */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/**
 * Bits of the nearest value (ties to even) in a binary format with `mant` stored mantissa bits,
 * exponent bias `bias` and `expBits` exponent bits; overflow gives ±Infinity, NaN a quiet NaN.
 */
function encodeSmallFloat(x: number, mant: number, expBits: number): number {
  const bias = 2 ** (expBits - 1) - 1;
  const expAll = 2 ** expBits - 1;
  const signBit = x < 0 || Object.is(x, -0) ? 1 << (mant + expBits) : 0;
  const infBits = signBit | (expAll << mant);
  if (Number.isNaN(x)) return (expAll << mant) | (1 << (mant - 1));
  const a = Math.abs(x);
  if (a === Infinity) return infBits;
  if (a === 0) return signBit;
  const emin = 1 - bias;
  const e = Math.max(exponentOf(a), emin);
  const r = a / 2 ** (e - mant); // exact: scaling by a power of two; r < 2^(mant+1)
  let n = Math.floor(r);
  const frac = r - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n++;
  // n counts quanta of 2^(e − mant); n = 2^(mant+1) means rounding carried into the next binade.
  let exp = e;
  if (n >= 2 ** (mant + 1)) {
    n /= 2;
    exp++;
  }
  if (n < 2 ** mant) return signBit | n; // subnormal (exp stays at emin, field 0)
  const field = exp + bias;
  if (field >= expAll) return infBits;
  return signBit | (field << mant) | (n - 2 ** mant);
}

/**
 * float64 → float16 bits, rounded to nearest, ties to even (as numpy's float64 → float16 cast);
 * beyond 65504 + half an ulp → ±Infinity.
 * @param x any number.
 * @returns the 16 bits.
 * @example pa.io.numberToHalf(0.1)   // 0x2e66
 */
export function numberToHalf(x: number): number {
  return encodeSmallFloat(x, 10, 5);
}

/**
 * float64 → bfloat16 bits, rounded to nearest, ties to even, directly from float64 (no double
 * rounding through float32).
 * @param x any number.
 * @returns the 16 bits.
 * @example pa.io.numberToBfloat16(1 + 2 ** -8)   // 0x3f80 (a tie, to even)
 */
export function numberToBfloat16(x: number): number {
  return encodeSmallFloat(x, 7, 8);
}

/**
 * Decodes `count` elements of a float dtype from `bytes` (any alignment) into float64.
 * @param littleEndian the byte order of `bytes`.
 */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype, count: number, littleEndian: boolean): Float64Array {
  const size = DTYPE_BYTES[dtype];
  // A fresh, aligned copy that typed arrays can view; bytes swapped when the orders differ.
  // (Not bytes.slice: on a Buffer that is a view into Node's shared pool, not a copy.)
  const copy = new Uint8Array(count * size);
  copy.set(bytes.subarray(0, count * size));
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, size);
  switch (dtype) {
    case 'F64':
      return new Float64Array(copy.buffer, 0, count);
    case 'F32':
      return Float64Array.from(new Float32Array(copy.buffer, 0, count));
    case 'F16': {
      const h = new Uint16Array(copy.buffer, 0, count);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToNumber(h[i]);
      return out;
    }
    case 'BF16': {
      const h = new Uint16Array(copy.buffer, 0, count);
      const wide = new Uint32Array(count);
      for (let i = 0; i < count; i++) wide[i] = h[i] << 16;
      return Float64Array.from(new Float32Array(wide.buffer));
    }
  }
}

/** Encodes float64 values as a float dtype, little-endian (F32: round to nearest even, as JS does). */
export function encodeFloats(values: ArrayLike<number>, dtype: FloatDtype): Uint8Array {
  const count = values.length;
  let view: Float64Array | Float32Array | Uint16Array;
  switch (dtype) {
    case 'F64':
      view = Float64Array.from(values);
      break;
    case 'F32':
      view = Float32Array.from(values);
      break;
    case 'F16':
    case 'BF16': {
      const enc = dtype === 'F16' ? numberToHalf : numberToBfloat16;
      view = new Uint16Array(count);
      for (let i = 0; i < count; i++) view[i] = enc(values[i]);
      break;
    }
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (!HOST_LITTLE_ENDIAN) swapBytes(bytes, DTYPE_BYTES[dtype]);
  return bytes;
}

/** Reverses the bytes of every `size`-byte element in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}
