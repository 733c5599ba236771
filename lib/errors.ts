/**
 * One message template for every argument error, so users always read
 * "invalid argument: NAME must be EXPECTED, got ACTUAL".
 */

export type ErrorCtor = TypeErrorConstructor | RangeErrorConstructor;

export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as Float64Array).length}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** Builds "invalid argument: NAME must be EXPECTED, got ACTUAL" with a stable `code`. */
export function invalidArgument(
  name: string,
  expected: string,
  got: unknown,
  Ctor: ErrorCtor = RangeError,
  gotIsText = false,
): Error {
  return argumentError(name, `be ${expected}`, gotIsText ? String(got) : describeValue(got), Ctor);
}

/** "invalid argument: NAME must MUST_CLAUSE, got ACTUAL" (e.g. must have shape [...]). */
export function argumentError(name: string, mustClause: string, actual: string, Ctor: ErrorCtor = RangeError): Error {
  const err = new Ctor(`invalid argument: ${name} must ${mustClause}, got ${actual}`);
  (err as Error & { code: string }).code = 'ERR_POLYAPPROX_INVALID_ARGUMENT';
  return err;
}
