/**
 * Where the prebuild is, and whether a test needing it runs, skips (saying why) or fails:
 * without prebuilds/ the tests skip, unless CI or POLYAPPROX_REQUIRE_PREBUILD is set (.ci/run
 * makes the prebuild and sets it), when they fail.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PREBUILD = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`, 'polyapprox.node');

function envSet(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

export interface PrebuildStatus {
  present: boolean;
  required: boolean;
  /** '' when the tests run (with the prebuild, or failing without it). */
  skipReason: string;
}

export function prebuildStatus(testFile: string): PrebuildStatus {
  const present = fs.existsSync(PREBUILD);
  const required = envSet('CI') || envSet('POLYAPPROX_REQUIRE_PREBUILD');
  const skipReason =
    process.platform !== 'linux'
      ? `prebuilds with a static OpenBLAS are made on Linux only (this is ${process.platform})`
      : !present && !required
        ? `${path.relative(ROOT, PREBUILD)} is absent (npm run prebuild makes it; CI or POLYAPPROX_REQUIRE_PREBUILD=1 turn this skip into a failure)`
        : '';
  if (skipReason) console.warn(`${testFile} skipped: ${skipReason}`);
  return { present, required, skipReason };
}
