{
  # Keep target name, sources and defines identical to CMakeLists.txt
  # (test/build-files.test.ts checks it).
  'variables': {
    # "true" when a CUDA toolkit with cuBLAS and cuSOLVER is found (scripts/find-cuda.js says why
    # not); POLYAPPROX_CUDA=0 turns it off, POLYAPPROX_CUDA=1 requires it.
    'polyapprox_cuda%': '<!(node scripts/find-cuda.js --enabled)',
    # "true" when POLYAPPROX_STATIC_OPENBLAS=1 (npm run prebuild, scripts/prebuild.js, sets it):
    # the CPU addon then links libopenblas.a with its symbols hidden, plus the one Fortran runtime
    # function it needs (native/static/fortran_runtime.c; scripts/find-openblas.js says why), so
    # that the prebuilt binary needs only the C/C++ runtime. Default: the shared OpenBLAS.
    'polyapprox_static_openblas%': '<!(node scripts/find-openblas.js --static-enabled)',
  },
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
        'native/core/mixture_quadratic.cpp',
        'native/addon/addon.cpp',
        'native/addon/analysis.cpp',
        'native/addon/variance.cpp',
        'native/addon/mixture.cpp',
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
        '<!@(node scripts/find-openblas.js --libs --static=<(polyapprox_static_openblas))',
      ],
      'conditions': [
        ['polyapprox_static_openblas=="true"', {
          'sources': ['native/static/fortran_runtime.c'],
        }],
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
  'conditions': [
    # The CUDA addon: the same glue and core plus native/cuda, compiled with POLYAPPROX_CUDA so that
    # the fits call native/cuda. Output build/Release/polyapprox_cuda.so, deliberately not a .node
    # name: node-gyp-build loads the first .node it finds in build/Release, and gyp's make generator
    # copies every module there whatever its product_dir. A 'shared_library' keeps its own extension
    # (node-gyp forces .node on loadable modules); lib/backend.ts loads it by path with
    # process.dlopen. Linux only (scripts/find-cuda.js).
    ['polyapprox_cuda=="true"', {
      'targets': [
        {
          'target_name': 'polyapprox_cuda',
          'type': 'shared_library',
          'product_prefix': '',
          'product_extension': 'so',
          'sources': [
            'native/core/integrals.cpp',
            'native/core/linalg.cpp',
            'native/core/fit.cpp',
            'native/core/quadratic.cpp',
            'native/core/hermite.cpp',
            'native/core/eigen.cpp',
            'native/core/variance.cpp',
            'native/core/mixture_quadratic.cpp',
            'native/addon/addon.cpp',
            'native/addon/analysis.cpp',
            'native/addon/variance.cpp',
            'native/addon/mixture.cpp',
            'native/addon/cuda_addon.cpp',
            'native/cuda/check.cpp',
            'native/cuda/device.cpp',
            'native/cuda/device_linalg.cpp',
            'native/cuda/fit.cpp',
            'native/cuda/quadratic.cpp',
            'native/cuda/mixture_quadratic.cpp',
            'native/cuda/kernels.cu',
          ],
          'defines': [
            'NAPI_VERSION=8',
            'NODE_ADDON_API_DISABLE_DEPRECATED',
            'NAPI_CPP_EXCEPTIONS',
            'POLYAPPROX_CUDA',
          ],
          'include_dirs': [
            "<!(node -p \"require('node-addon-api').include_dir\")",
            'native/core',
            'native/cuda',
            '<!@(node scripts/find-openblas.js --include-dirs)',
            '<!@(node scripts/find-cuda.js --include-dirs)',
          ],
          'libraries': [
            '<!@(node scripts/find-openblas.js --libs)',
            '<!@(node scripts/find-cuda.js --libs)',
          ],
          # nvcc for the .cu files: machine code for the GPU's architecture (sm_90 on Hopper) plus
          # PTX; the object joins the link like any other.
          'rules': [
            {
              'rule_name': 'nvcc',
              'extension': 'cu',
              'inputs': ['<(RULE_INPUT_PATH)'],
              'outputs': ['<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).cu.o'],
              'action': [
                '<!(node scripts/find-cuda.js --nvcc)',
                '-std=c++17', '-O3', '-Xcompiler', '-fPIC',
                '<!@(node scripts/find-cuda.js --arch-flags)',
                '-Inative/cuda',
                '<!@(node scripts/find-cuda.js --include-flags)',
                '-c', '<(RULE_INPUT_PATH)', '-o', '<@(_outputs)',
              ],
              'message': 'nvcc <(RULE_INPUT_PATH)',
              'process_outputs_as_sources': 1,
            },
          ],
          'cflags!': ['-fno-exceptions', '-ffast-math'],
          'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-ffast-math', '-std=gnu++17'],
          'cflags': ['-O3'],
          'cflags_cc': ['-std=c++17', '-fexceptions', '-frtti', '-O3'],
        },
      ],
    }],
  ],
}
