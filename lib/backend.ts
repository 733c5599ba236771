/**
 * Backend selection: the one place that decides whether a call runs on the native addon
 * (C++/OpenBLAS) or on the pure-TypeScript fallback in lib/js/.
 *
 * Order: explicit request → env POLYAPPROX_BACKEND → native if it loads → js (with one warning
 * that carries the real load error). The addon is loaded lazily, once, on first use, so importing
 * the package never fails because of it; its load error is recorded and reported, never dropped.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { invalidArgument } from './errors';

/** Backends a call can run on. ('cuda' joins later.) */
export type BackendName = 'native' | 'js';

/** What callers may ask for: a backend, or 'auto' to let the selector choose. */
export type BackendRequest = 'auto' | BackendName;

/** The addon's exports. Narrowed per function by lib/native.ts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAddon = Record<string, (...args: any[]) => any>;

/** Where the addon came from, as reported by {@link backendInfo}. */
export interface NativeInfo {
  loaded: boolean;
  /** Absolute path of the loaded `.node` file. */
  path?: string;
  source?: 'prebuild' | 'local build';
  /** Why it did not load (the loader's own message). */
  error?: string;
}

export interface BackendInfo {
  /** Available backends, preferred first. */
  backends: BackendName[];
  native: NativeInfo;
}

const BACKEND_NAMES: readonly BackendName[] = ['native', 'js'];
const REQUEST_NAMES: readonly BackendRequest[] = ['auto', ...BACKEND_NAMES];
const EXPECTED = `one of ${REQUEST_NAMES.map((n) => `'${n}'`).join(', ')}`;

/** Package root: lib/ under vitest and tsx, dist/ once built; both sit one level below it. */
const PACKAGE_ROOT = path.join(__dirname, '..');
const DEFAULT_INSTALL_HINT =
  'apt-get install -y g++ make python3 pkg-config libopenblas-dev && npm rebuild polyapprox';

interface LoadState {
  addon: NativeAddon | null;
  info: NativeInfo;
  /** The loader's own exception, kept as `cause` of the errors built from it. */
  loadError?: unknown;
}

let state: LoadState | undefined;
let warned = false;

/**
 * Loads the native addon (once) through node-gyp-build: `build/Release` first, then `prebuilds/`.
 *
 * @returns the addon's exports, or `null` when it is absent or fails to load; the reason is
 *   recorded and available from {@link backendInfo}.
 * @throws never; load failures are recorded, not thrown.
 * @example
 * const addon = loadNative();
 * if (addon === null) console.log(backendInfo().native.error);
 */
export function loadNative(): NativeAddon | null {
  if (state === undefined) state = tryLoadNative();
  return state.addon;
}

function tryLoadNative(): LoadState {
  const runtimeRequire = createRequire(__filename);
  let addonPath: string | undefined;
  try {
    const nodeGypBuild = runtimeRequire('node-gyp-build') as { resolve(dir: string): string };
    addonPath = nodeGypBuild.resolve(PACKAGE_ROOT);
    const addon = runtimeRequire(addonPath) as NativeAddon;
    const source = addonPath.split(path.sep).includes('prebuilds') ? 'prebuild' : 'local build';
    return { addon, info: { loaded: true, path: addonPath, source } };
  } catch (err) {
    const message = err instanceof Error ? err.message.trim() : String(err);
    const where = addonPath !== undefined ? ` (while loading ${addonPath})` : '';
    return { addon: null, info: { loaded: false, error: message + where }, loadError: err };
  }
}

/**
 * Lists the backends that can run here, preferred first.
 *
 * @returns e.g. `['native', 'js']`, or `['js']` when the addon did not load.
 * @throws never.
 * @example
 * describe.each(backends())('fit on %s', (backend) => { ... });
 */
export function backends(): BackendName[] {
  return loadNative() !== null ? ['native', 'js'] : ['js'];
}

/**
 * Reports which backends loaded, from where, and why the native addon did not.
 *
 * @returns `{ backends, native: { loaded, path?, source?, error? } }`.
 * @throws never.
 * @example
 * const { native } = backendInfo();
 * console.log(native.loaded ? `native from ${native.source}: ${native.path}` : native.error);
 */
export function backendInfo(): BackendInfo {
  loadNative();
  return { backends: backends(), native: { ...state!.info } };
}

function installHint(): string {
  try {
    // Shipped with the package (package.json "files"); shares the per-OS command with the installer.
    const finder = createRequire(__filename)(path.join(PACKAGE_ROOT, 'scripts', 'find-openblas.js')) as {
      installHint(): string;
    };
    return finder.installHint();
  } catch {
    return DEFAULT_INSTALL_HINT;
  }
}

/** The real load error, then the fixes that match its symptom (sharp's "Possible solutions:"). */
function nativeUnavailableMessage(error: string): string {
  const fixes: string[] = [];
  if (/No native build was found/.test(error)) {
    fixes.push(`Build it (it was not built at install time, usually for lack of a compiler or OpenBLAS): ${installHint()}`);
    fixes.push('If OpenBLAS lives in a custom prefix: POLYAPPROX_OPENBLAS_DIR=<prefix> npm rebuild polyapprox');
  } else if (/openblas/i.test(error)) {
    fixes.push('OpenBLAS was found at build time but its shared library is missing now: reinstall it (Debian/Ubuntu: apt-get install -y libopenblas0), or rebuild against the one present: npm rebuild polyapprox');
  } else if (/NODE_MODULE_VERSION|different Node\.js version|ELF|Mach-O|not a valid Win32/i.test(error)) {
    fixes.push('The binary was built for another Node.js or platform: npm rebuild polyapprox');
  } else {
    fixes.push(`Rebuild it: npm rebuild polyapprox (needs: ${installHint().replace(/ && npm rebuild polyapprox$/, '')})`);
  }
  fixes.push("Use the TypeScript backend on purpose, without this message: POLYAPPROX_BACKEND=js or { backend: 'js' }");
  return [
    'polyapprox: the native addon (C++/OpenBLAS) is unavailable.',
    `Load error: ${error}`,
    'Possible solutions:',
    ...fixes.map((f) => `- ${f}`),
  ].join('\n');
}

/**
 * Returns the native addon or throws why it is unavailable.
 *
 * @returns the addon's exports.
 * @throws {Error} with `code === 'ERR_POLYAPPROX_NATIVE_UNAVAILABLE'`, the load error and the fixes.
 * @example
 * const addon = requireNative();
 */
export function requireNative(): NativeAddon {
  const addon = loadNative();
  if (addon !== null) return addon;
  const err = new Error(nativeUnavailableMessage(state!.info.error ?? 'unknown error'), {
    cause: state!.loadError,
  }) as Error & { code: string };
  err.code = 'ERR_POLYAPPROX_NATIVE_UNAVAILABLE';
  throw err;
}

function parseRequest(value: unknown, name: string): BackendRequest {
  if (typeof value !== 'string') throw invalidArgument(name, EXPECTED, value, TypeError);
  if (!(REQUEST_NAMES as readonly string[]).includes(value)) throw invalidArgument(name, EXPECTED, value);
  return value as BackendRequest;
}

/**
 * Chooses the backend for one call.
 *
 * @param requested - `'auto'` (default), `'native'` or `'js'`. With `'auto'` or nothing, env
 *   `POLYAPPROX_BACKEND` decides first; then native if it loads, else js with one process warning
 *   (code `POLYAPPROX_NATIVE_UNAVAILABLE`) that carries the load error.
 * @returns the backend to run on.
 * @throws {TypeError} when `requested` (or POLYAPPROX_BACKEND) is not a string.
 * @throws {RangeError} `invalid argument: backend must be one of 'auto', 'native', 'js', got "x"`.
 * @throws {Error} `code === 'ERR_POLYAPPROX_NATIVE_UNAVAILABLE'` when 'native' is asked for and absent.
 * @example
 * resolveBackend();          // 'native' where the addon loads, else 'js'
 * resolveBackend('js');      // 'js'
 */
export function resolveBackend(requested?: BackendRequest): BackendName {
  let choice: BackendRequest = requested === undefined ? 'auto' : parseRequest(requested, 'backend');
  if (choice === 'auto') {
    const fromEnv = process.env.POLYAPPROX_BACKEND;
    if (fromEnv !== undefined && fromEnv !== '') choice = parseRequest(fromEnv, 'POLYAPPROX_BACKEND');
  }
  if (choice === 'js') return 'js';
  if (choice === 'native') {
    requireNative();
    return 'native';
  }
  if (loadNative() !== null) return 'native';
  if (!warned) {
    warned = true;
    process.emitWarning(nativeUnavailableMessage(state!.info.error ?? 'unknown error'), {
      code: 'POLYAPPROX_NATIVE_UNAVAILABLE',
      detail: 'Falling back to the pure-TypeScript backend (same results, slower).',
    });
  }
  return 'js';
}
