#!/usr/bin/env node
'use strict';
// Decides whether to build the CUDA addon (build/Release/polyapprox_cuda.so) and where the
// toolkit is, for binding.gyp (its conditions and the nvcc rule) and scripts/install.js.
//
//   node scripts/find-cuda.js --enabled        "true" or "false"
//   node scripts/find-cuda.js --nvcc           path of nvcc
//   node scripts/find-cuda.js --include-dirs   include directories, one per line
//   node scripts/find-cuda.js --include-flags  the same as -I flags (for the nvcc rule)
//   node scripts/find-cuda.js --libs           linker arguments (cudart static, cuBLAS, cuSOLVER, rpaths)
//   node scripts/find-cuda.js --arch-flags     nvcc -gencode flags
//   node scripts/find-cuda.js --cmake-archs    the same for CMAKE_CUDA_ARCHITECTURES (90-real;90-virtual)
//   node scripts/find-cuda.js --json           everything, plus why it is on or off
//
// POLYAPPROX_CUDA=0 turns the CUDA build off; POLYAPPROX_CUDA=1 requires it (a missing piece then
// fails the build with the reason instead of silently building the CPU addon alone). Otherwise it
// is built when a toolkit is found: $CUDA_PATH, $CUDA_HOME, /usr/local/cuda, or the prefix of an
// nvcc on PATH (every one, so a distribution's /usr/bin/nvcc with /usr/include and
// /usr/lib/<triplet> is found behind an incomplete toolkit earlier on PATH), with cuBLAS and cuSOLVER (headers and libraries) either inside that toolkit, in the
// prefixes listed in $POLYAPPROX_CUDA_LIBS (path-delimiter separated, each with include/ and lib/),
// or in the NVIDIA pip packages of python3 (nvidia/cu13, nvidia/cu12, nvidia/cublas, ... as
// installed with PyTorch). Architectures: $POLYAPPROX_CUDA_ARCH (e.g. "90" or "80,90"), else the
// compute capability nvidia-smi reports, else 90 (Hopper); machine code for each plus PTX of the
// newest, so newer GPUs still run it.
//
// Every mode exits 0 with empty output when CUDA is off, so gyp can evaluate it anywhere.

const fs = require('fs');
const path = require('path');
const childProcess = require('child_process');

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_) {
    return false;
  }
}

function isDir(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch (_) {
    return false;
  }
}

function run(cmd, args) {
  const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

/**
 * Candidate toolkit roots, in order, each with why it is a candidate: $CUDA_PATH, $CUDA_HOME,
 * /usr/local/cuda (unless knownPaths is false), then the prefix of every nvcc on PATH: both the
 * prefix of the file nvcc resolves to and the prefix of the PATH entry itself, since distribution
 * packages put a wrapper in /usr/bin and the headers and libraries under /usr (Debian/Ubuntu's
 * nvidia-cuda-toolkit: /usr/include, /usr/lib/x86_64-linux-gnu), while a machine may also have an
 * incomplete toolkit earlier on PATH.
 */
function toolkitRoots(env, knownPaths) {
  const roots = [];
  const add = (root, via) => {
    if (!roots.some(([r]) => r === root)) roots.push([root, via]);
  };
  for (const key of ['CUDA_PATH', 'CUDA_HOME']) if (env[key]) add(env[key], `$${key}`);
  if (knownPaths !== false) add('/usr/local/cuda', '/usr/local/cuda');
  const onPath = (env.PATH || '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((d) => path.join(d, 'nvcc'))
    .filter(isFile);
  for (const nvcc of onPath) {
    let real = nvcc;
    try {
      real = fs.realpathSync(nvcc);
    } catch (_) {
      /* keep the PATH entry */
    }
    add(path.dirname(path.dirname(real)), `nvcc on PATH (${nvcc})`);
    add(path.dirname(path.dirname(nvcc)), `nvcc on PATH (${nvcc})`);
  }
  return roots;
}

function subdirs(root) {
  const inc = [path.join(root, 'include'), path.join(root, 'targets', 'x86_64-linux', 'include'), path.join(root, 'targets', 'sbsa-linux', 'include')];
  const lib = [
    path.join(root, 'lib64'),
    path.join(root, 'lib'),
    path.join(root, 'targets', 'x86_64-linux', 'lib'),
    path.join(root, 'targets', 'sbsa-linux', 'lib'),
    path.join(root, 'lib', 'x86_64-linux-gnu'),
    path.join(root, 'lib', 'aarch64-linux-gnu'),
  ];
  return { inc: inc.filter(isDir), lib: lib.filter(isDir) };
}

/** A shared library by name in dirs: the unversioned .so, else the highest-versioned .so.N. */
function findShared(dirs, name) {
  for (const dir of dirs) {
    if (isFile(path.join(dir, `lib${name}.so`))) return path.join(dir, `lib${name}.so`);
    let names = [];
    try {
      names = fs.readdirSync(dir).filter((f) => new RegExp(`^lib${name}\\.so\\.\\d+$`).test(f));
    } catch (_) {
      /* unreadable */
    }
    if (names.length > 0) {
      names.sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
      return path.join(dir, names[0]);
    }
  }
  return null;
}

function pipPrefixes(env) {
  if (env.POLYAPPROX_CUDA_PIP === '0') return [];
  const python = env.PYTHON || 'python3';
  const out = run(python, ['-c', 'import nvidia, sys; sys.stdout.write("\\n".join(nvidia.__path__))']);
  if (!out) return [];
  const prefixes = [];
  for (const base of out.split('\n').filter(Boolean)) {
    for (const sub of ['cu13', 'cu12', 'cublas', 'cusolver', 'cusparse', 'nvjitlink']) {
      if (isDir(path.join(base, sub, 'include')) || isDir(path.join(base, sub, 'lib'))) prefixes.push(path.join(base, sub));
    }
  }
  return prefixes;
}

/** Where cuBLAS and cuSOLVER live: { includeDirs, libs: {cublas, cusolver} } or null. */
function findMathLibs(toolkit, env) {
  const extra = (env.POLYAPPROX_CUDA_LIBS || '').split(path.delimiter).filter(Boolean);
  const sets = [toolkit, ...extra.map((p) => subdirs(path.resolve(p)))];
  const lazyPip = () => pipPrefixes(env).map(subdirs);
  const pick = (header, lib) => {
    for (const set of [...sets, ...(pick.pip || (pick.pip = lazyPip()))]) {
      const inc = set.inc.find((d) => isFile(path.join(d, header)));
      const so = findShared(set.lib, lib);
      if (inc && so) return { inc, so };
    }
    return null;
  };
  const cublas = pick('cublas_v2.h', 'cublas');
  const cusolver = pick('cusolverDn.h', 'cusolver');
  if (!cublas || !cusolver) return { missing: [!cublas && 'cuBLAS (cublas_v2.h + libcublas)', !cusolver && 'cuSOLVER (cusolverDn.h + libcusolver)'].filter(Boolean) };
  return { cublas, cusolver };
}

function archList(env) {
  const given = env.POLYAPPROX_CUDA_ARCH;
  let list = given ? given.split(/[,;\s]+/) : null;
  if (!list) {
    const smi = run('nvidia-smi', ['--query-gpu=compute_cap', '--format=csv,noheader']);
    if (smi) list = smi.split('\n').map((s) => s.trim().replace('.', ''));
  }
  list = (list || []).filter((a) => /^\d{2,3}a?$/.test(a));
  if (list.length === 0) list = ['90'];
  return [...new Set(list)].sort();
}

function archFlags(list) {
  const flags = list.map((a) => `-gencode=arch=compute_${a},code=sm_${a}`);
  const newest = list[list.length - 1];
  flags.push(`-gencode=arch=compute_${newest},code=compute_${newest}`);
  return flags;
}

/**
 * { enabled: true, via, nvcc, root, includeDirs, libs, archFlags } or { enabled: false, required, reason }.
 * `options.env` lets tests point it at fake prefixes (PATH included); `options.knownPaths: false`
 * skips /usr/local/cuda.
 */
function findCuda(options = {}) {
  const env = options.env || process.env;
  const mode = env.POLYAPPROX_CUDA;
  const required = mode === '1';
  if (mode === '0') return { enabled: false, required, reason: 'POLYAPPROX_CUDA=0' };
  if ((options.platform || process.platform) !== 'linux') {
    return { enabled: false, required, reason: `the CUDA build is supported on Linux only (this is ${options.platform || process.platform})` };
  }
  const tried = [];
  for (const [root, via] of toolkitRoots(env, options.knownPaths)) {
    const nvcc = path.join(root, 'bin', 'nvcc');
    const dirs = subdirs(root);
    const runtimeInc = dirs.inc.find((d) => isFile(path.join(d, 'cuda_runtime.h')));
    const cudart = dirs.lib.map((d) => path.join(d, 'libcudart_static.a')).find(isFile);
    if (!isFile(nvcc) || !runtimeInc || !cudart) {
      tried.push(`${via}: ${!isFile(nvcc) ? 'no bin/nvcc' : !runtimeInc ? 'no cuda_runtime.h' : 'no libcudart_static.a'}`);
      continue;
    }
    const math = findMathLibs(dirs, env);
    if (math.missing) {
      tried.push(`${via}: toolkit without ${math.missing.join(' and ')} (also looked in $POLYAPPROX_CUDA_LIBS and python3's nvidia packages)`);
      continue;
    }
    const includeDirs = [...new Set([runtimeInc, math.cublas.inc, math.cusolver.inc])];
    const libDirs = [...new Set([path.dirname(math.cublas.so), path.dirname(math.cusolver.so)])];
    const libs = [cudart, math.cublas.so, math.cusolver.so, '-ldl', '-lrt', '-lpthread', ...libDirs.map((d) => `-Wl,-rpath,${d}`)];
    const archs = archList(env);
    return { enabled: true, required, via, root, nvcc, includeDirs, libDirs, libs, archs, archFlags: archFlags(archs) };
  }
  return {
    enabled: false,
    required,
    reason: tried.length > 0 ? `no usable CUDA toolkit: ${tried.join('; ')}` : 'no CUDA toolkit found',
  };
}

function main(argv) {
  const mode = argv[0] || '--json';
  const r = findCuda();
  if (!r.enabled && r.required) {
    process.stderr.write(
      `\npolyapprox: POLYAPPROX_CUDA=1 but the CUDA addon cannot be built: ${r.reason}.\n` +
        '  Install the CUDA toolkit with cuBLAS and cuSOLVER, or point at it: CUDA_PATH=<toolkit> ' +
        'POLYAPPROX_CUDA_LIBS=<prefix with include/ and lib/>\n\n',
    );
    return 1;
  }
  const lines = (xs) => process.stdout.write(xs.length ? xs.join('\n') + '\n' : '');
  switch (mode) {
    case '--enabled':
      process.stdout.write(r.enabled ? 'true\n' : 'false\n');
      return 0;
    case '--nvcc':
      process.stdout.write(r.enabled ? r.nvcc + '\n' : '');
      return 0;
    case '--include-dirs':
      lines(r.enabled ? r.includeDirs : []);
      return 0;
    case '--include-flags':
      lines(r.enabled ? r.includeDirs.map((d) => `-I${d}`) : []);
      return 0;
    case '--libs':
      lines(r.enabled ? r.libs : []);
      return 0;
    case '--arch-flags':
      lines(r.enabled ? r.archFlags : []);
      return 0;
    case '--cmake-archs':
      process.stdout.write(r.enabled ? [...r.archs.map((a) => `${a}-real`), `${r.archs[r.archs.length - 1]}-virtual`].join(';') + '\n' : '');
      return 0;
    case '--json':
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      return 0;
    default:
      process.stderr.write(`usage: node scripts/find-cuda.js [--enabled|--nvcc|--include-dirs|--include-flags|--libs|--arch-flags|--cmake-archs|--json]\n`);
      return 2;
  }
}

module.exports = { findCuda };

if (require.main === module) process.exit(main(process.argv.slice(2)));
