/**
 * binding.gyp (node-gyp) and CMakeLists.txt (cmake-js + ctest) must build the same addon: same
 * target name, sources and defines, and every native source on disk listed in both. Also checks
 * scripts/find-openblas.js on fake install prefixes.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..');

/** Turns gyp's Python-literal syntax (single quotes, # comments, trailing commas) into JSON. */
function parseGyp(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') {
          s += text[i + 1];
          i += 2;
        } else {
          s += text[i++];
        }
      }
      i++;
      out += JSON.stringify(s);
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** Reads `set(NAME a b c)` lists from CMakeLists.txt (comments stripped). */
function cmakeLists(text: string): Map<string, string[]> {
  const clean = text.replace(/#[^\n]*/g, '');
  const lists = new Map<string, string[]>();
  for (const m of clean.matchAll(/\bset\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)([^)]*)\)/g)) {
    lists.set(m[1], m[2].split(/\s+/).filter(Boolean));
  }
  return lists;
}

function cppFilesUnder(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.cpp'))
    .map((e) => `${dir}/${e.name}`);
}

interface GypTarget {
  target_name: string;
  sources: string[];
  defines: string[];
}

const gyp = parseGyp(readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')) as { targets: GypTarget[] };
const cmakeText = readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
const cmake = cmakeLists(cmakeText);
const gypTarget = gyp.targets.find((t) => t.target_name === 'polyapprox');
const cmakeSources = [...(cmake.get('POLYAPPROX_CORE_SOURCES') ?? []), ...(cmake.get('POLYAPPROX_ADDON_SOURCES') ?? [])];
const sorted = (xs: readonly string[]) => [...xs].sort();

describe('build files', () => {
  it('binding.gyp has the polyapprox target', () => {
    expect(gypTarget).toBeDefined();
  });

  it('CMakeLists.txt builds the polyapprox addon and the polyapprox_core library', () => {
    expect(cmakeText).toMatch(/add_library\(\s*polyapprox\s+SHARED/);
    expect(cmakeText).toMatch(/add_library\(\s*polyapprox_core\s+STATIC\s+\$\{POLYAPPROX_CORE_SOURCES\}/);
    expect(cmakeText).toMatch(/\$\{POLYAPPROX_ADDON_SOURCES\}/);
  });

  it('binding.gyp and CMakeLists.txt list the same sources', () => {
    expect(cmakeSources.length).toBeGreaterThan(0);
    expect(sorted(gypTarget!.sources)).toEqual(sorted(cmakeSources));
  });

  it('binding.gyp and CMakeLists.txt use the same defines', () => {
    expect(sorted(gypTarget!.defines)).toEqual(sorted(cmake.get('POLYAPPROX_NAPI_DEFINES') ?? []));
    expect(gypTarget!.defines).toEqual(
      expect.arrayContaining(['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED', 'NAPI_CPP_EXCEPTIONS']),
    );
  });

  it('every .cpp under native/core (not test/) and native/addon is listed in both', () => {
    // The CUDA addon's own glue (cuda_addon.cpp) belongs to the CUDA target only (checked below).
    const cudaOnly = new Set(cmake.get('POLYAPPROX_CUDA_ADDON_SOURCES') ?? []);
    const onDisk = [...cppFilesUnder('native/core'), ...cppFilesUnder('native/addon')].filter((f) => !cudaOnly.has(f));
    for (const file of onDisk) {
      expect(gypTarget!.sources, `binding.gyp lacks ${file}`).toContain(file);
      expect(cmakeSources, `CMakeLists.txt lacks ${file}`).toContain(file);
    }
  });

  it('every listed source exists', () => {
    const missing = gypTarget!.sources.filter((f) => !existsSync(path.join(ROOT, f)));
    expect(missing, 'listed in binding.gyp but not on disk').toEqual([]);
  });

  it('neither build adds -ffast-math', () => {
    const t = gypTarget as unknown as Record<string, unknown>;
    for (const key of ['cflags', 'cflags_cc']) expect(JSON.stringify(t[key] ?? [])).not.toContain('fast-math');
    expect(cmakeText.replace(/#[^\n]*/g, '')).not.toMatch(/fast-math|\/fp:fast/);
  });
});

interface GypCondition {
  0: string;
  1: { targets?: (GypTarget & Record<string, unknown>)[] };
}

function filesUnder(dir: string, ext: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => `${dir}/${e.name}`);
}

describe('build files: the CUDA addon', () => {
  const conditions = ((gyp as unknown as { conditions?: GypCondition[] }).conditions ?? []).filter((c) => /polyapprox_cuda/.test(c[0]));
  const cudaTarget = conditions.flatMap((c) => c[1].targets ?? []).find((t) => t.target_name === 'polyapprox_cuda');
  const cudaExtra = [...(cmake.get('POLYAPPROX_CUDA_ADDON_SOURCES') ?? []), ...(cmake.get('POLYAPPROX_CUDA_SOURCES') ?? [])];

  it('binding.gyp builds polyapprox_cuda only under the find-cuda.js condition', () => {
    expect(cudaTarget).toBeDefined();
    expect(conditions[0][0]).toBe('polyapprox_cuda=="true"');
    const vars = (gyp as unknown as { variables: Record<string, string> }).variables;
    expect(vars['polyapprox_cuda%']).toBe('<!(node scripts/find-cuda.js --enabled)');
    expect(cmakeText).toMatch(/find-cuda\.js/);
    expect(cmakeText).toMatch(/enable_language\(CUDA\)/);
  });

  it("its sources are the CPU addon's plus the same CUDA lists in both files", () => {
    expect(cudaExtra.length).toBeGreaterThan(0);
    expect(sorted(cudaTarget!.sources)).toEqual(sorted([...cmakeSources, ...cudaExtra]));
  });

  it("its defines are the CPU addon's plus POLYAPPROX_CUDA, in both files", () => {
    expect(cmake.get('POLYAPPROX_CUDA_DEFINES')).toEqual(['POLYAPPROX_CUDA']);
    expect(sorted(cudaTarget!.defines)).toEqual(sorted([...gypTarget!.defines, 'POLYAPPROX_CUDA']));
  });

  it('every .cpp and .cu under native/cuda is listed in both, and nothing else lists them', () => {
    for (const file of [...filesUnder('native/cuda', '.cpp'), ...filesUnder('native/cuda', '.cu')]) {
      expect(cudaTarget!.sources, `binding.gyp lacks ${file}`).toContain(file);
      expect(cudaExtra, `CMakeLists.txt lacks ${file}`).toContain(file);
      expect(gypTarget!.sources).not.toContain(file);
    }
  });

  it('is not a .node file in build/Release (node-gyp-build would load it as the CPU addon)', () => {
    expect(cudaTarget!.type).toBe('shared_library');
    expect(cudaTarget!.product_extension).toBe('so');
    expect(cmakeText).toMatch(/polyapprox_cuda PROPERTIES PREFIX "" SUFFIX "\.so"/);
  });

  it('compiles .cu files with nvcc through a rule, sm_90 plus PTX by default', () => {
    const rules = (cudaTarget!.rules ?? []) as { extension: string; action: string[] }[];
    expect(rules.map((r) => r.extension)).toEqual(['cu']);
    expect(rules[0].action).toContain('<!@(node scripts/find-cuda.js --arch-flags)');
  });
});

describe('scripts/find-cuda.js', () => {
  type Found = { enabled: boolean; reason?: string; nvcc?: string; libs?: string[]; includeDirs?: string[]; archFlags?: string[] };
  const { findCuda } = createRequire(__filename)(path.join(ROOT, 'scripts', 'find-cuda.js')) as {
    findCuda(options?: object): Found;
  };
  const fake = mkdtempSync(path.join(tmpdir(), 'polyapprox-cuda-'));
  afterAll(() => rmSync(fake, { recursive: true, force: true }));
  const touch = (rel: string) => {
    mkdirSync(path.dirname(path.join(fake, rel)), { recursive: true });
    writeFileSync(path.join(fake, rel), '');
  };
  touch('bin/nvcc');
  touch('include/cuda_runtime.h');
  touch('lib64/libcudart_static.a');
  const base = { CUDA_PATH: fake, PATH: '', POLYAPPROX_CUDA_PIP: '0', POLYAPPROX_CUDA_ARCH: '90' };

  it('is off without cuBLAS/cuSOLVER, saying why', () => {
    const r = findCuda({ env: base, platform: 'linux', knownPaths: false });
    expect(r.enabled).toBe(false);
    expect(r.reason).toMatch(/without cuBLAS .* and cuSOLVER/);
  });

  it('finds a toolkit with versioned-only libraries (pip layout), with rpaths and sm_90 + PTX', () => {
    touch('include/cublas_v2.h');
    touch('include/cusolverDn.h');
    touch('lib64/libcublas.so.13');
    touch('lib64/libcusolver.so.12');
    const r = findCuda({ env: base, platform: 'linux', knownPaths: false });
    expect(r.enabled).toBe(true);
    expect(r.nvcc).toBe(path.join(fake, 'bin', 'nvcc'));
    expect(r.libs).toEqual(expect.arrayContaining([path.join(fake, 'lib64', 'libcudart_static.a'), path.join(fake, 'lib64', 'libcublas.so.13'), `-Wl,-rpath,${path.join(fake, 'lib64')}`]));
    expect(r.archFlags).toEqual(['-gencode=arch=compute_90,code=sm_90', '-gencode=arch=compute_90,code=compute_90']);
  });

  it("finds a distribution's toolkit (/usr/bin/nvcc, /usr/include, /usr/lib/<triplet>) behind an incomplete one earlier on PATH", () => {
    // The incomplete toolkit: nvcc and the runtime, no cuBLAS/cuSOLVER (as a bare CUDA install).
    touch('bare/bin/nvcc');
    touch('bare/include/cuda_runtime.h');
    touch('bare/lib64/libcudart_static.a');
    // Debian/Ubuntu nvidia-cuda-toolkit: everything under the prefix of the PATH entry.
    for (const f of ['usr/bin/nvcc', 'usr/include/cuda_runtime.h', 'usr/include/cublas_v2.h', 'usr/include/cusolverDn.h'])
      touch(f);
    for (const f of ['libcudart_static.a', 'libcublas.so', 'libcusolver.so']) touch(`usr/lib/x86_64-linux-gnu/${f}`);
    const env = { PATH: [path.join(fake, 'bare', 'bin'), path.join(fake, 'usr', 'bin')].join(path.delimiter), POLYAPPROX_CUDA_PIP: '0', POLYAPPROX_CUDA_ARCH: '90' };
    const r = findCuda({ env, platform: 'linux', knownPaths: false }) as Found & { via?: string };
    expect(r.enabled).toBe(true);
    expect(r.nvcc).toBe(path.join(fake, 'usr', 'bin', 'nvcc'));
    expect(r.includeDirs).toEqual([path.join(fake, 'usr', 'include')]);
    expect(r.libs).toEqual(expect.arrayContaining([path.join(fake, 'usr', 'lib', 'x86_64-linux-gnu', 'libcublas.so')]));
    // With only the incomplete one on PATH, the reason names it.
    const bare = findCuda({ env: { ...env, PATH: path.join(fake, 'bare', 'bin') }, platform: 'linux', knownPaths: false });
    expect(bare.enabled).toBe(false);
    expect(bare.reason).toMatch(/nvcc on PATH .*without cuBLAS/);
  });

  it('POLYAPPROX_CUDA=0 turns it off; other platforms are off', () => {
    expect(findCuda({ env: { ...base, POLYAPPROX_CUDA: '0' }, platform: 'linux', knownPaths: false }).enabled).toBe(false);
    expect(findCuda({ env: base, platform: 'darwin', knownPaths: false }).enabled).toBe(false);
  });
});

describe('scripts/find-openblas.js', () => {
  type Found = { found: boolean; via?: string; includeDirs?: string[]; libs?: string[]; reason?: string };
  const { findOpenBLAS } = createRequire(__filename)(path.join(ROOT, 'scripts', 'find-openblas.js')) as {
    findOpenBLAS(options?: object): Found;
  };
  const fake = mkdtempSync(path.join(tmpdir(), 'polyapprox-openblas-'));
  afterAll(() => rmSync(fake, { recursive: true, force: true }));

  it('uses POLYAPPROX_OPENBLAS_DIR, with an rpath for a non-system prefix', () => {
    mkdirSync(path.join(fake, 'include'), { recursive: true });
    mkdirSync(path.join(fake, 'lib'), { recursive: true });
    writeFileSync(path.join(fake, 'include', 'cblas.h'), '');
    writeFileSync(path.join(fake, 'lib', 'libopenblas.so'), '');
    const r = findOpenBLAS({ env: { POLYAPPROX_OPENBLAS_DIR: fake }, platform: 'linux' });
    expect(r.found).toBe(true);
    expect(r.via).toBe('POLYAPPROX_OPENBLAS_DIR');
    expect(r.includeDirs).toEqual([path.join(fake, 'include')]);
    expect(r.libs).toEqual([`-L${path.join(fake, 'lib')}`, '-lopenblas', `-Wl,-rpath,${path.join(fake, 'lib')}`]);
  });

  it('fails with the reason when POLYAPPROX_OPENBLAS_DIR is wrong, without looking elsewhere', () => {
    const r = findOpenBLAS({ env: { POLYAPPROX_OPENBLAS_DIR: path.join(fake, 'nonexistent') }, platform: 'linux' });
    expect(r.found).toBe(false);
    expect(r.reason).toMatch(/POLYAPPROX_OPENBLAS_DIR=.*does not hold OpenBLAS/);
  });

  it('reports "not found" when pkg-config and the known paths have nothing', () => {
    const r = findOpenBLAS({ env: {}, pkgConfig: false, knownPaths: false });
    expect(r.found).toBe(false);
    expect(r.reason).toMatch(/OpenBLAS not found/);
  });
});
