/**
 * The prebuilt binary shipped in the npm tarball (npm run prebuild → scripts/prebuild.js →
 * prebuilds/<platform>-<arch>/polyapprox.node): OpenBLAS linked statically, so it needs nothing
 * beyond the C/C++ runtime; OpenBLAS's symbols hidden; no Fortran runtime symbol left undefined;
 * and it computes what the JS backend computes, also next to a dynamically linked OpenBLAS.
 *
 * Without prebuilds/ these tests skip, saying so, unless CI or POLYAPPROX_REQUIRE_PREBUILD is set:
 * then they fail (.ci/run makes the prebuild and sets it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { PREBUILD, ROOT, prebuildStatus } from './helpers/prebuild';

const { present, skipReason } = prebuildStatus('test/prebuild.test.ts');

/**
 * The C and C++ runtimes: everything the prebuild may load. ldd also lists the vDSO and the
 * dynamic loader.
 */
const ALLOWED = [
  /^linux-vdso\.so\.1$/,
  /^ld-linux-x86-64\.so\.2$/,
  /^ld-linux-aarch64\.so\.1$/,
  /^libc\.so\.6$/,
  /^libm\.so\.6$/,
  /^libstdc\+\+\.so\.6$/,
  /^libgcc_s\.so\.1$/,
  /^libpthread\.so\.0$/,
  /^libdl\.so\.2$/,
];

function tool(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
}

/** Symbol names from `nm -D` (version suffixes kept: memcpy@GLIBC_2.14). */
function dynamicSymbols(flag: '--defined-only' | '--undefined-only'): { name: string; type: string }[] {
  return tool('nm', ['-D', flag, PREBUILD])
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2)
    .map((f) => ({ type: f[f.length - 2], name: f[f.length - 1] }));
}

describe.skipIf(skipReason !== '')(`prebuild ${path.relative(ROOT, PREBUILD)}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('exists (npm run prebuild)', () => {
    expect(present, `${PREBUILD} is missing: run npm run prebuild`).toBe(true);
  });

  it.runIf(present)('ldd: depends on nothing beyond the C/C++ runtime', () => {
    const ldd = tool('ldd', [PREBUILD]);
    const libs = ldd
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => path.basename(l.split(/\s+/)[0]));
    expect(ldd).not.toMatch(/not found/);
    expect(libs).toContain('libc.so.6');
    const extra = libs.filter((lib) => !ALLOWED.some((re) => re.test(lib)));
    expect(extra, `ldd ${PREBUILD}:\n${ldd}`).toEqual([]);
    // The direct dependencies too (ldd lists the transitive closure).
    const needed = [...tool('readelf', ['-d', '-W', PREBUILD]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(needed.filter((lib) => !ALLOWED.some((re) => re.test(lib)))).toEqual([]);
  });

  it.runIf(present)('exports no OpenBLAS symbol (they are hidden: no clash with another OpenBLAS in the process)', () => {
    const names = dynamicSymbols('--defined-only').map((s) => s.name);
    expect(names).toContain('napi_register_module_v1');
    const blas = names.filter((n) => /^(cblas_|openblas_|goto|blas_|lapack)|^[sdcz](gemm|gemv|syrk|trmm|potrf|potrs|pstrf|syevr|ormtr|scal)_$/.test(n));
    expect(blas).toEqual([]);
    expect(names.filter((n) => /dgemm_/.test(n))).toEqual([]);
    expect(names.filter((n) => /gfortran/.test(n))).toEqual([]);
  });

  it.runIf(present)('leaves nothing undefined but versioned C/C++ runtime symbols and Node-API', () => {
    const unversioned = dynamicSymbols('--undefined-only').filter((s) => !s.name.includes('@') && s.type !== 'w');
    const strays = unversioned.map((s) => s.name).filter((n) => !/^(napi_|node_api_)/.test(n));
    // A libopenblas.a needing more of libgfortran than native/static/fortran_runtime.c gives would show here.
    expect(strays).toEqual([]);
  });

  it.runIf(present)('agrees with the JS backend to 1e-10, also next to a dynamically linked OpenBLAS', () => {
    const dynamicAddon = path.join(ROOT, 'build', 'Release', 'polyapprox.node');
    const args = ['--import', 'tsx', path.join(__dirname, 'helpers', 'prebuild-check.cjs'), path.join(ROOT, 'lib', 'index.ts')];
    if (fs.existsSync(dynamicAddon)) args.push(dynamicAddon);
    // PREBUILDS_ONLY: node-gyp-build skips build/Release, as in an installed package without one.
    // POLYAPPROX_CUDA_ADDON: a CUDA addon built here (build/Release/polyapprox_cuda.so, where a
    // toolkit is installed) links the shared OpenBLAS itself; it is not part of the prebuild.
    const env = { ...process.env, PREBUILDS_ONLY: '1', POLYAPPROX_CUDA_ADDON: path.join(ROOT, 'build', 'no-cuda-addon-in-this-check.so') };
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.native).toEqual({ loaded: true, path: PREBUILD, source: 'prebuild' });
    for (const diff of [...Object.values(out.quadratic), ...Object.values(out.mixtureLinear)] as number[]) expect(diff).toBeLessThan(1e-10);
    expect(out.mixtureSolve).toBe('pinv'); // LAPACK dsyevr → dormtr → the Fortran string helper
    expect((out.mapped as string[]).filter((p) => /openblas|gfortran|quadmath/.test(p))).toEqual([]);
    if (out.coexist) {
      expect(out.coexist.gemmDiff).toBeLessThan(1e-14);
      expect(out.coexist.afterMixture).toBeLessThan(1e-10);
    }
  });
});

describe('scripts/find-openblas.js --static', () => {
  const req = createRequire(__filename);
  const { staticLink, staticRequested } = req(path.join(ROOT, 'scripts', 'find-openblas.js')) as {
    staticLink(result: object, platform: string): { ok: boolean; archive?: string; libs?: string[]; reason?: string };
    staticRequested(env: Record<string, string | undefined>): boolean;
  };
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'polyapprox-static-'));
  afterAll(() => fs.rmSync(fake, { recursive: true, force: true }));

  it('links the archive next to the shared library, hiding its symbols', () => {
    fs.writeFileSync(path.join(fake, 'libopenblas.a'), '');
    const r = staticLink({ via: 'test', libDirs: [fake] }, 'linux');
    expect(r).toEqual({ ok: true, archive: path.join(fake, 'libopenblas.a'), libs: [path.join(fake, 'libopenblas.a'), '-lm', '-lpthread', '-Wl,--exclude-libs,ALL'] });
  });

  it('says why when there is no archive, or off Linux', () => {
    expect(staticLink({ via: 'test', libDirs: [path.join(fake, 'none')] }, 'linux')).toMatchObject({ ok: false, reason: expect.stringMatching(/no libopenblas\.a/) });
    expect(staticLink({ via: 'test', libDirs: [fake] }, 'darwin')).toMatchObject({ ok: false, reason: expect.stringMatching(/Linux only/) });
  });

  it('is off unless POLYAPPROX_STATIC_OPENBLAS=1, and binding.gyp passes the mode', () => {
    expect(staticRequested({})).toBe(false);
    expect(staticRequested({ POLYAPPROX_STATIC_OPENBLAS: '0' })).toBe(false);
    expect(staticRequested({ POLYAPPROX_STATIC_OPENBLAS: '1' })).toBe(true);
    const gyp = fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8');
    expect(gyp).toContain("'polyapprox_static_openblas%': '<!(node scripts/find-openblas.js --static-enabled)'");
    expect(gyp).toContain('find-openblas.js --libs --static=<(polyapprox_static_openblas)');
  });
});
