#!/usr/bin/env node
'use strict';
// Locates OpenBLAS (cblas.h + libopenblas, which also carries LAPACK) for binding.gyp.
//
//   node scripts/find-openblas.js --include-dirs   include directories, one per line (for gyp include_dirs)
//   node scripts/find-openblas.js --cflags         -I flags
//   node scripts/find-openblas.js --libs           linker flags (-L, -lopenblas, rpath when needed)
//   node scripts/find-openblas.js --libs --static  linker flags for a static OpenBLAS (prebuilds, Linux):
//                                                  libopenblas.a, -lm -lpthread, -Wl,--exclude-libs,ALL
//   node scripts/find-openblas.js --static-enabled "true" when POLYAPPROX_STATIC_OPENBLAS=1, else "false"
//                                                  (binding.gyp's polyapprox_static_openblas variable)
//   node scripts/find-openblas.js --json           everything, plus where it was found
//
// --static=true|false (what binding.gyp passes) is --static or nothing; POLYAPPROX_STATIC_OPENBLAS=1
// alone does not change --libs, binding.gyp passes the mode explicitly.
//
// Search order: $POLYAPPROX_OPENBLAS_DIR (a prefix with include/ and lib/; when set it is the only
// place looked at, so a wrong value fails loudly instead of silently picking another OpenBLAS),
// then `pkg-config openblas`, then the usual Debian/Ubuntu, Fedora/RHEL, Homebrew and /opt paths.
// When nothing is found it prints why and what to install, and exits 1 so the build stops there.

const fs = require('fs');
const path = require('path');
const childProcess = require('child_process');

const LIB_NAMES = {
  linux: ['libopenblas.so', 'libopenblas.a'],
  darwin: ['libopenblas.dylib', 'libopenblas.a'],
  win32: ['openblas.lib', 'libopenblas.lib', 'libopenblas.dll.a'],
};

function libNames(platform) {
  return LIB_NAMES[platform] || LIB_NAMES.linux;
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_) {
    return false;
  }
}

function findLib(dirs, platform) {
  for (const dir of dirs) {
    for (const name of libNames(platform)) {
      if (isFile(path.join(dir, name))) return { dir, file: path.join(dir, name) };
    }
  }
  return null;
}

function findHeader(dirs) {
  return dirs.find((dir) => isFile(path.join(dir, 'cblas.h'))) || null;
}

// Directories the dynamic loader searches without help; anything else gets an rpath.
function isSystemLibDir(dir) {
  return /^\/(usr\/)?lib(32|64)?(\/[^/]+-linux-gnu[^/]*)?\/?$/.test(dir) || /^\/usr\/lib(64)?\/[^/]+-linux-gnu\/openblas[^/]*\/?$/.test(dir);
}

function linkFlags(libDir, platform) {
  if (platform === 'win32') {
    const lib = findLib([libDir], platform);
    return lib ? [lib.file] : [];
  }
  const flags = [`-L${libDir}`, '-lopenblas'];
  if (!isSystemLibDir(libDir)) flags.push(`-Wl,-rpath,${libDir}`);
  return flags;
}

function fromPrefix(prefix, platform, via) {
  const includeDir = findHeader([path.join(prefix, 'include'), path.join(prefix, 'include', 'openblas')]);
  const lib = findLib([path.join(prefix, 'lib'), path.join(prefix, 'lib64')], platform);
  if (!includeDir || !lib) return null;
  return { via, includeDirs: [includeDir], libDirs: [lib.dir], libs: linkFlags(lib.dir, platform) };
}

function fromPkgConfig(pkgConfig) {
  const run = (args) => {
    const r = childProcess.spawnSync(pkgConfig, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) return null;
    return r.stdout.trim();
  };
  if (run(['--exists', 'openblas']) === null) return null;
  const cflags = run(['--cflags-only-I', 'openblas']);
  const libs = run(['--libs', 'openblas']);
  if (cflags === null || libs === null) return null;
  const split = (s) => s.split(/\s+/).filter(Boolean);
  const includeDirs = split(cflags).map((f) => f.replace(/^-I/, '').replace(/\/$/, ''));
  const libFlags = split(libs);
  const libDirs = libFlags.filter((f) => f.startsWith('-L')).map((f) => f.slice(2).replace(/\/$/, ''));
  // pkg-config's .pc can outlive the package files (or describe another arch): verify them.
  if (includeDirs.length > 0 && !findHeader(includeDirs)) return null;
  for (const dir of libDirs) {
    if (!isSystemLibDir(dir)) libFlags.push(`-Wl,-rpath,${dir}`);
  }
  return { via: 'pkg-config', includeDirs, libDirs, libs: libFlags };
}

function multiarchDirs(root) {
  // /usr/include/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu, ...
  try {
    return fs
      .readdirSync(root)
      .filter((d) => /-linux-gnu/.test(d))
      .map((d) => path.join(root, d));
  } catch (_) {
    return [];
  }
}

function fromKnownPaths(platform) {
  const pairs = [];
  for (const inc of multiarchDirs('/usr/include')) {
    const arch = path.basename(inc);
    for (const flavour of ['openblas-pthread', 'openblas-openmp', 'openblas-serial']) {
      pairs.push([path.join(inc, flavour), path.join('/usr/lib', arch, flavour)]);
    }
    pairs.push([inc, path.join('/usr/lib', arch)]);
  }
  pairs.push(['/usr/include/openblas', '/usr/lib64'], ['/usr/include/openblas', '/usr/lib']); // Fedora/RHEL
  pairs.push(['/usr/include', '/usr/lib64'], ['/usr/include', '/usr/lib']);
  for (const prefix of ['/opt/homebrew/opt/openblas', '/usr/local/opt/openblas', '/opt/OpenBLAS', '/usr/local']) {
    pairs.push([path.join(prefix, 'include'), path.join(prefix, 'lib')]);
    pairs.push([path.join(prefix, 'include', 'openblas'), path.join(prefix, 'lib')]);
  }
  for (const [inc, libDir] of pairs) {
    const lib = findLib([libDir], platform);
    if (isFile(path.join(inc, 'cblas.h')) && lib) {
      return { via: `known path ${libDir}`, includeDirs: [inc], libDirs: [lib.dir], libs: linkFlags(lib.dir, platform) };
    }
  }
  return null;
}

/**
 * Static OpenBLAS, for prebuilds (scripts/prebuild.js sets POLYAPPROX_STATIC_OPENBLAS=1): the
 * archive found next to the shared library, whole BLAS/LAPACK in the addon, its symbols hidden
 * (-Wl,--exclude-libs,ALL) so that another OpenBLAS loaded in the same process cannot clash.
 *
 * The Fortran runtime is NOT linked from libgfortran.a: Debian's (GCC 12, built as PIE) holds
 * local-exec TLS (R_X86_64_TPOFF32 against thread_unit in async.o), which ld refuses in a shared
 * object, and _gfortran_concat_string's own object drags in that I/O code through its error
 * handling. Debian's libopenblas.a needs exactly two symbols of it: _gfortran_concat_string (48
 * LAPACK routines, e.g. dormtr, dsyevr's helpers) and _gfortran_etime (only second_/dsecnd_, which
 * nothing here calls). binding.gyp compiles native/static/fortran_runtime.c (hidden
 * _gfortran_concat_string) into the addon in static mode instead, so neither libgfortran nor
 * libquadmath is needed; scripts/prebuild.js and test/prebuild.test.ts check that the result has
 * no undefined Fortran symbol left.
 *
 * @returns { ok: true, archive, libs } or { ok: false, reason }
 */
function staticLink(result, platform) {
  if (platform !== 'linux') {
    return { ok: false, reason: `static OpenBLAS linking (POLYAPPROX_STATIC_OPENBLAS=1) is implemented for Linux only, not ${platform}` };
  }
  const archive = (result.libDirs || []).map((d) => path.join(d, 'libopenblas.a')).find(isFile);
  if (!archive) {
    return {
      ok: false,
      reason:
        `no libopenblas.a next to the OpenBLAS found (${(result.libDirs || []).join(', ') || result.via}); ` +
        'a static link needs the archive (Debian/Ubuntu: libopenblas-dev ships it)',
    };
  }
  return { ok: true, archive, libs: [archive, '-lm', '-lpthread', '-Wl,--exclude-libs,ALL'] };
}

function staticRequested(env) {
  return env.POLYAPPROX_STATIC_OPENBLAS === '1' || env.POLYAPPROX_STATIC_OPENBLAS === 'true';
}

/** The one command that installs what the native build needs, chosen by platform. */
function installHint(platform = process.platform) {
  if (platform === 'darwin') return 'xcode-select --install; brew install openblas pkg-config && npm rebuild polyapprox';
  if (platform === 'win32') return 'install OpenBLAS, then: set POLYAPPROX_OPENBLAS_DIR=<prefix> && npm rebuild polyapprox';
  let osRelease = '';
  try {
    osRelease = fs.readFileSync('/etc/os-release', 'utf8');
  } catch (_) {
    /* not Linux or minimal image: fall through to Debian, the CI platform */
  }
  if (/^ID(_LIKE)?=.*\b(fedora|rhel|centos)\b/m.test(osRelease)) {
    return 'dnf install -y gcc-c++ make python3 pkgconf-pkg-config openblas-devel && npm rebuild polyapprox';
  }
  if (/^ID(_LIKE)?=.*\balpine\b/m.test(osRelease)) {
    return 'apk add g++ make python3 pkgconf openblas-dev && npm rebuild polyapprox';
  }
  return 'apt-get install -y g++ make python3 pkg-config libopenblas-dev && npm rebuild polyapprox';
}

/**
 * Finds OpenBLAS. Returns { found: true, via, includeDirs, libDirs, libs } or
 * { found: false, reason }. `options` exists so tests can point it at fake prefixes.
 */
function findOpenBLAS(options = {}) {
  const env = options.env || process.env;
  const platform = options.platform || process.platform;
  const override = env.POLYAPPROX_OPENBLAS_DIR;
  if (override) {
    const hit = fromPrefix(path.resolve(override), platform, 'POLYAPPROX_OPENBLAS_DIR');
    if (hit) return { found: true, ...hit };
    return {
      found: false,
      reason:
        `POLYAPPROX_OPENBLAS_DIR=${override} does not hold OpenBLAS: expected include/cblas.h and ` +
        `lib/${libNames(platform)[0]} (or lib64/) under it`,
    };
  }
  const pkgConfig = options.pkgConfig !== undefined ? options.pkgConfig : env.PKG_CONFIG || 'pkg-config';
  const hit = (pkgConfig && fromPkgConfig(pkgConfig)) || (options.knownPaths === false ? null : fromKnownPaths(platform));
  if (hit) return { found: true, ...hit };
  return {
    found: false,
    reason:
      'OpenBLAS not found: `pkg-config openblas` failed and no cblas.h + libopenblas pair is in the usual ' +
      'Debian/Ubuntu, Fedora/RHEL, Homebrew or /opt locations',
  };
}

function main(argv) {
  const mode = argv.find((a) => !a.startsWith('--static')) || '--json';
  const staticArg = argv.find((a) => a.startsWith('--static') && a !== '--static-enabled');
  const wantStatic = staticArg === '--static' || staticArg === '--static=true' || staticArg === '--static=1';
  if (argv.includes('--static-enabled')) {
    process.stdout.write(staticRequested(process.env) ? 'true\n' : 'false\n');
    return 0;
  }
  const result = findOpenBLAS();
  if (!result.found) {
    process.stderr.write(
      `\npolyapprox: ${result.reason}.\n` +
        `  Install it:        ${installHint()}\n` +
        `  Or point at it:    POLYAPPROX_OPENBLAS_DIR=<prefix with include/ and lib/> npm rebuild polyapprox\n\n`,
    );
    return 1;
  }
  switch (mode) {
    case '--include-dirs':
      process.stdout.write(result.includeDirs.join('\n') + '\n');
      return 0;
    case '--cflags':
      process.stdout.write(result.includeDirs.map((d) => `-I${d}`).join(' ') + '\n');
      return 0;
    case '--libs': {
      if (!wantStatic) {
        process.stdout.write(result.libs.join(' ') + '\n');
        return 0;
      }
      const st = staticLink(result, process.platform);
      if (!st.ok) {
        process.stderr.write(`\npolyapprox: ${st.reason}.\n\n`);
        return 1;
      }
      process.stdout.write(st.libs.join(' ') + '\n');
      return 0;
    }
    case '--json': {
      const out = { ...result };
      if (wantStatic) out.static = staticLink(result, process.platform);
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return 0;
    }
    default:
      process.stderr.write(`find-openblas: unknown option ${mode} (use --include-dirs, --cflags, --libs [--static], --static-enabled or --json)\n`);
      return 2;
  }
}

module.exports = { findOpenBLAS, installHint, staticLink, staticRequested };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
