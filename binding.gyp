{
  # Keep target name, sources and defines identical to CMakeLists.txt
  # (test/build-files.test.ts checks it).
  'targets': [
    {
      'target_name': 'polyapprox',
      'sources': [
        'native/core/integrals.cpp',
        'native/core/linalg.cpp',
        'native/core/fit.cpp',
        'native/core/quadratic.cpp',
        'native/core/hermite.cpp',
        'native/core/eigen.cpp',
        'native/core/variance.cpp',
        'native/addon/addon.cpp',
        'native/addon/analysis.cpp',
        'native/addon/variance.cpp',
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
        'NAPI_CPP_EXCEPTIONS',
      ],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        'native/core',
        # Fails the build with an install hint when OpenBLAS is absent.
        '<!@(node scripts/find-openblas.js --include-dirs)',
      ],
      'libraries': [
        '<!@(node scripts/find-openblas.js --libs)',
      ],
      # No -ffast-math anywhere: it breaks the NaN/Inf semantics the JS backend keeps.
      'cflags!': ['-fno-exceptions', '-ffast-math'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-ffast-math', '-std=gnu++17'],
      'cflags': ['-O3'],
      'cflags_cc': ['-std=c++17', '-fexceptions', '-frtti', '-O3'],
      'xcode_settings': {
        'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
        'GCC_ENABLE_CPP_RTTI': 'YES',
        'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
        'CLANG_CXX_LIBRARY': 'libc++',
        'MACOSX_DEPLOYMENT_TARGET': '10.15',
        'GCC_OPTIMIZATION_LEVEL': '3',
      },
      'msvs_settings': {
        'VCCLCompilerTool': {
          'ExceptionHandling': 1,
          'RuntimeTypeInfo': 'true',
          'AdditionalOptions': ['/std:c++17'],
        },
      },
    },
  ],
}
