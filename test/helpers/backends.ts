/**
 * The backends every numerical test runs on. Under CI (POLYAPPROX_REQUIRE_NATIVE=1) a missing
 * native addon is a failure, not a skip: the JS fallback is for users, not for hiding a broken
 * build.
 */
import * as pa from '../../lib/index';

export type Backend = ReturnType<typeof pa.backends>[number];

export function availableBackends(): Backend[] {
  const list = pa.backends();
  if (process.env.POLYAPPROX_REQUIRE_NATIVE === '1' && !list.includes('native')) {
    throw new Error(`POLYAPPROX_REQUIRE_NATIVE=1 but the native addon did not load: ${pa.backendInfo().native.error}`);
  }
  return list;
}

/** max |a − b| ≤ rtol · max(|b|∞, floor): the array-wise relative agreement the tests use. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let scale = floor;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
