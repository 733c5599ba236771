/**
 * Backend selection: the one place that decides whether a call runs on the native addon
 * (C++/OpenBLAS) or on the pure-TypeScript fallback in lib/js/.
 *
 * Order: explicit request → env POLYAPPROX_BACKEND → CUDA for large problems when its addon loads
 * and its probe finds a device → native if it loads → js (with one warning that carries the real
 * load error). The addons are loaded lazily, once, on first use, so importing the package never
 * fails because of them; load errors are recorded and reported, never dropped.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { invalidArgument } from './errors';

/** Backends a call can run on. */
export type BackendName = 'cuda' | 'native' | 'js';

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

/** A CUDA device as the CUDA addon's probe reports it. */
export interface CudaDevice {
  /** Devices visible to the CUDA runtime; device 0 is used. */
  count: number;
  name: string;
  computeCapability: string;
  multiprocessors: number;
  /** Bytes. */
  totalMemory: number;
  freeMemory: number;
  runtimeVersion: number;
  driverVersion: number;
}

/** The CUDA addon (build/Release/polyapprox_cuda.so), as reported by {@link backendInfo}. */
export interface CudaInfo {
  /** The addon file exists and loaded. */
  loaded: boolean;
  /** Loaded and its probe found a device: `backend: 'cuda'` works. */
  available: boolean;
  path?: string;
  device?: CudaDevice;
  /** Why 'cuda' is unavailable: not built, failed to load, or the probe's error. */
  error?: string;
}

export interface BackendInfo {
  /** Available backends, preferred first. */
  backends: BackendName[];
  native: NativeInfo;
  cuda: CudaInfo;
}

const BACKEND_NAMES: readonly BackendName[] = ['native', 'js', 'cuda'];
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
  const list: BackendName[] = [];
  if (loadCuda() !== null) list.push('cuda');
  if (loadNative() !== null) list.push('native');
  list.push('js');
  return list;
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
  loadCuda();
  return { backends: backends(), native: { ...state!.info }, cuda: { ...cudaState!.info } };
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
 * @param requested - `'auto'` (default), `'cuda'`, `'native'` or `'js'`. With `'auto'` or nothing,
 *   env `POLYAPPROX_BACKEND` decides first; then cuda when `work` ≥ {@link CUDA_AUTO_MIN_WORK} and a
 *   device is present; then native if it loads, else js with one process warning (code
 *   `POLYAPPROX_NATIVE_UNAVAILABLE`) that carries the load error.
 * @param work - the call's multiply-adds ({@link fitWork}); omitted: never cuda under 'auto'.
 * @returns the backend to run on.
 * @throws {TypeError} when `requested` (or POLYAPPROX_BACKEND) is not a string.
 * @throws {RangeError} `invalid argument: backend must be one of 'auto', 'native', 'js', 'cuda', got "x"`.
 * @throws {Error} `code === 'ERR_POLYAPPROX_NATIVE_UNAVAILABLE'` when 'native' is asked for and absent,
 *   `code === 'ERR_POLYAPPROX_CUDA'` when 'cuda' is asked for and unavailable.
 * @example
 * resolveBackend();          // 'native' where the addon loads, else 'js'
 * resolveBackend('js');      // 'js'
 * resolveBackend('auto', fitWork({ in: 1024, hidden: 4096, out: 1024, degree: 2, gamma: true }));
 * // 'cuda' where a device is present
 */
export function resolveBackend(requested?: BackendRequest, work?: number): BackendName {
  let choice: BackendRequest = requested === undefined ? 'auto' : parseRequest(requested, 'backend');
  if (choice === 'auto') {
    const fromEnv = process.env.POLYAPPROX_BACKEND;
    if (fromEnv !== undefined && fromEnv !== '') choice = parseRequest(fromEnv, 'POLYAPPROX_BACKEND');
  }
  if (choice === 'js') return 'js';
  if (choice === 'cuda') {
    requireCuda();
    return 'cuda';
  }
  if (choice === 'native') {
    requireNative();
    return 'native';
  }
  if (work !== undefined && work >= CUDA_AUTO_MIN_WORK) {
    if (loadCuda() !== null && fullRateFp64(cudaState!.info.device!)) return 'cuda';
    noteCudaSkipped(work);
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

// ---- CUDA ------------------------------------------------------------------------------------

/**
 * Multiply-adds ({@link fitWork}) from which `'auto'` runs a call on the GPU, when the device has
 * full-rate float64 (see {@link fullRateFp64}). Measured on an H200 against OpenBLAS on its 16-core
 * host (bench/cuda.ts, warm process; cuda vs native): 9e6 MAC 0.75 vs 0.89 ms, 8e7 2.4 vs 4.1 ms,
 * 8e8 9.0 vs 25 ms, 2.3e9 14.5 vs 111 ms, 7e10 0.17 vs 2.4 s. The GPU wins from ~1e7 once its
 * context exists, but the first CUDA call of a process pays for creating it (bench/cuda.ts prints
 * it) and smaller hosts and GPUs shift the crossover, so the threshold sits where the H200 was
 * already ~3× faster.
 */
export const CUDA_AUTO_MIN_WORK = 1e9;

/**
 * Whether a device runs float64 at full rate (half of float32): the data-center parts, compute
 * capability 6.0, 7.0, 8.0, 9.0, 10.0 (P100, V100, A100, H100/H200, B200). Consumer and workstation
 * parts run it at 1/32–1/64, no faster than a CPU: 'auto' leaves those alone ('cuda' still works
 * when asked for).
 *
 * @param d - the probed device.
 * @returns true for a full-rate float64 device.
 * @throws never.
 * @example
 * fullRateFp64(backendInfo().cuda.device!); // true on an H200
 */
export function fullRateFp64(d: CudaDevice): boolean {
  const [major, minor] = d.computeCapability.split('.').map(Number);
  return minor === 0 && major >= 6;
}

/** The shape of a fit, for {@link fitWork}. */
export interface FitShape {
  in: number;
  hidden: number;
  out: number;
  /** GLU: two weight matrices (doubles the products). */
  glu?: boolean;
  degree: number;
  /** Mixture components (1 for a Gaussian). */
  K?: number;
  /** Full covariances given (projections W F are then needed). */
  cov?: boolean;
  /** Degree 2: gamma is materialized (out·hidden·in²/2 multiply-adds). */
  gamma?: boolean;
  /** A mixture-style solve: K > 1 or a ridge. */
  solve?: boolean;
}

/**
 * The multiply-adds of the large products of a fit (what the GPU would take over): projections
 * onto the covariance factors, E∇f, the mixture normal equations and, for degree 2, Hμ and gamma.
 *
 * @param s - the fit's shape.
 * @returns multiply-adds; 0 for degree ≥ 3 and for degree 2 under a mixture (those stay on the
 *   CPU under 'auto').
 * @throws never.
 * @example
 * fitWork({ in: 1024, hidden: 4096, out: 1024, degree: 2, gamma: true }); // ≈ 2.2e12
 */
export function fitWork(s: FitShape): number {
  const K = s.K ?? 1;
  // Degree ≥ 3 (compact form) has no large products. The exact mixture quadratic's device solver
  // (native/cuda/mixture_quadratic.cpp) has not yet run on a GPU: 'auto' keeps it on the CPU until
  // it has been verified there (backend: 'cuda' asks for it explicitly).
  if (s.degree >= 3 || (s.degree === 2 && K > 1)) return 0;
  const w = s.glu ? 2 : 1;
  const n = s.in;
  let work = K * w * ((s.cov ? n * n * s.hidden : 0) + n * s.hidden * s.out);
  if (s.solve || K > 1) work += K * n * n * s.out + n * n * n;
  if (s.degree === 2) {
    work += w * n * s.hidden * s.out;
    if (s.gamma) work += w * s.out * s.hidden * ((n * (n + 1)) / 2);
  }
  return work;
}

interface CudaState {
  addon: NativeAddon | null;
  info: CudaInfo;
  loadError?: unknown;
}

let cudaState: CudaState | undefined;
const cudaNotes = new Set<string>();

/** build/Release/polyapprox_cuda.so, or $POLYAPPROX_CUDA_ADDON. Not a .node name on purpose (binding.gyp). */
function cudaAddonPath(): string {
  const fromEnv = process.env.POLYAPPROX_CUDA_ADDON;
  return fromEnv !== undefined && fromEnv !== '' ? path.resolve(fromEnv) : path.join(PACKAGE_ROOT, 'build', 'Release', 'polyapprox_cuda.so');
}

function tryLoadCuda(): CudaState {
  const file = cudaAddonPath();
  if (!existsSync(file)) {
    return {
      addon: null,
      info: {
        loaded: false,
        available: false,
        error:
          `not built: ${file} does not exist (it is built only where a CUDA toolkit with cuBLAS and cuSOLVER ` +
          'is found: `node scripts/find-cuda.js --json` says why not; `POLYAPPROX_CUDA=1 npm rebuild polyapprox` requires it)',
      },
    };
  }
  let addon: NativeAddon;
  try {
    const mod = { exports: {} as NativeAddon };
    process.dlopen(mod, file);
    addon = mod.exports;
  } catch (err) {
    const message = err instanceof Error ? err.message.trim() : String(err);
    return { addon: null, info: { loaded: false, available: false, path: file, error: `${message} (while loading ${file})` }, loadError: err };
  }
  try {
    const device = addon.cudaProbe() as CudaDevice;
    if (device.count > 0) return { addon, info: { loaded: true, available: true, path: file, device } };
    return { addon, info: { loaded: true, available: false, path: file, device, error: 'the CUDA runtime sees no device' } };
  } catch (err) {
    const message = err instanceof Error ? err.message.trim() : String(err);
    return { addon, info: { loaded: true, available: false, path: file, error: message }, loadError: err };
  }
}

/**
 * Loads the CUDA addon (once) by path and probes for a device.
 *
 * @returns its exports when a device is present, else `null` (the reason is in
 *   `backendInfo().cuda.error`).
 * @throws never.
 * @example
 * if (loadCuda() !== null) console.log(backendInfo().cuda.device?.name);
 */
export function loadCuda(): NativeAddon | null {
  if (cudaState === undefined) cudaState = tryLoadCuda();
  return cudaState.info.available ? cudaState.addon : null;
}

function cudaUnavailableMessage(error: string): string {
  const fixes: string[] = [];
  if (/^not built/.test(error)) {
    fixes.push('Build it where the CUDA toolkit (nvcc, cuBLAS, cuSOLVER) is installed: POLYAPPROX_CUDA=1 npm rebuild polyapprox');
    fixes.push('Toolkit or libraries in a custom place: CUDA_PATH=<toolkit> POLYAPPROX_CUDA_LIBS=<prefix with include/ and lib/> npm rebuild polyapprox');
  } else if (/cannot open shared object|libcu/i.test(error)) {
    fixes.push('A CUDA library found at build time is missing now: reinstall it, or rebuild against the one present: npm rebuild polyapprox');
  } else {
    fixes.push('Check the driver and the device: nvidia-smi (the device may be absent, busy in exclusive mode, or its driver older than the toolkit)');
  }
  fixes.push("Run on the CPU on purpose: { backend: 'native' } or leave backend on 'auto'");
  return ['polyapprox: the CUDA backend is unavailable.', `Reason: ${error}`, 'Possible solutions:', ...fixes.map((f) => `- ${f}`)].join('\n');
}

/**
 * Returns the CUDA addon or throws why it is unavailable.
 *
 * @returns its exports.
 * @throws {Error} with `code === 'ERR_POLYAPPROX_CUDA'`, `reason === 'unavailable'`, the load or
 *   probe error and the fixes.
 * @example
 * const cuda = requireCuda();
 */
export function requireCuda(): NativeAddon {
  const addon = loadCuda();
  if (addon !== null) return addon;
  const err = new Error(cudaUnavailableMessage(cudaState!.info.error ?? 'unknown error'), { cause: cudaState!.loadError }) as Error & {
    code: string;
    reason: string;
  };
  err.code = 'ERR_POLYAPPROX_CUDA';
  err.reason = 'unavailable';
  throw err;
}

/**
 * The addon that runs a backend's calls: the CUDA addon for 'cuda' (the same entry points with
 * the large products on the GPU), the CPU addon for 'native'.
 *
 * @param backend - 'cuda' or 'native'.
 * @returns the addon's exports.
 * @throws {Error} as {@link requireCuda} / {@link requireNative}; for 'js' (no addon).
 * @example
 * addonFor(fit.backend).linearPredict(...);
 */
export function addonFor(backend: BackendName): NativeAddon {
  if (backend === 'cuda') return requireCuda();
  if (backend === 'native') return requireNative();
  throw new Error("polyapprox: internal error: the 'js' backend has no addon");
}

/**
 * Whether a request leaves the choice to {@link resolveBackend} ('auto' or nothing, and no
 * POLYAPPROX_BACKEND): only then does a failed CUDA call fall back to the CPU.
 *
 * @param requested - the call's `backend` option.
 * @returns true for an automatic choice.
 * @throws never.
 * @example
 * isAutoRequest(undefined); // true unless POLYAPPROX_BACKEND is set
 */
export function isAutoRequest(requested: unknown): boolean {
  const env = process.env.POLYAPPROX_BACKEND;
  return (requested === undefined || requested === 'auto') && (env === undefined || env === '' || env === 'auto');
}

function noteOnce(key: string, message: string, code: string): void {
  if (cudaNotes.has(key)) return;
  cudaNotes.add(key);
  process.emitWarning(message, { code });
}

/** 'auto' would have used the GPU for this size: say why it did not, once (only where it was built). */
function noteCudaSkipped(work: number): void {
  const info = cudaState?.info;
  if (info === undefined || /^not built/.test(info.error ?? '')) return;
  const why = info.available
    ? `the GPU (${info.device!.name}, compute capability ${info.device!.computeCapability}) runs float64 at a reduced rate; pass backend: 'cuda' to use it anyway`
    : `the CUDA backend is unavailable: ${info.error}`;
  noteOnce('skipped', `polyapprox: a large call (${work.toExponential(1)} multiply-adds) runs on the CPU because ${why}`, 'POLYAPPROX_CUDA_UNAVAILABLE');
}

/**
 * Under 'auto', a CUDA failure (device absent, busy or out of memory, or any other CUDA error)
 * sends the call back to the CPU: this returns the CPU backend to rerun on and notes the failure
 * once per reason (warning code `POLYAPPROX_CUDA_FALLBACK`). Other errors are rethrown.
 *
 * @param err - what the CUDA call threw.
 * @returns 'native' (or 'js' where the CPU addon is absent).
 * @throws err itself when it is not an ERR_POLYAPPROX_CUDA error.
 * @example
 * try { return run('cuda'); } catch (e) { return run(cpuFallback(e)); }
 */
export function cpuFallback(err: unknown): BackendName {
  const e = err as { code?: unknown; reason?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.code !== 'ERR_POLYAPPROX_CUDA') throw err;
  const reason = typeof e.reason === 'string' ? e.reason : 'other';
  const first = String(e.message).split('\n')[0];
  noteOnce(`fallback:${reason}`, `polyapprox: the CUDA backend failed (${reason}: ${first}); running on the CPU instead.`, 'POLYAPPROX_CUDA_FALLBACK');
  return loadNative() !== null ? 'native' : 'js';
}
