// Node-API glue of the CUDA addon's own entry points (only in build/Release/polyapprox_cuda.so):
// the probe lib/backend.ts runs before offering 'cuda', and the device-side
// timings bench/cuda.ts reports. The fits themselves are addon.cpp's entry points, compiled with
// POLYAPPROX_CUDA so that they call native/cuda.
#include <napi.h>

#include <vector>

#include "args.hpp"

namespace polyapprox_addon {

namespace {
Napi::Array seconds_to_js(Napi::Env env, const std::vector<double>& s) {
  Napi::Array a = Napi::Array::New(env, s.size());
  for (size_t i = 0; i < s.size(); ++i) a.Set(static_cast<uint32_t>(i), s[i]);
  return a;
}

// cudaProbe() → { count, name, computeCapability, multiprocessors, totalMemory, freeMemory,
// runtimeVersion, driverVersion }; throws ERR_POLYAPPROX_CUDA when the runtime cannot start.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const cuda::ProbeInfo p = cuda::probe_devices();
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("count", p.count);
    o.Set("name", p.name);
    o.Set("computeCapability", std::to_string(p.major) + "." + std::to_string(p.minor));
    o.Set("multiprocessors", p.multiprocessors);
    o.Set("totalMemory", p.total_memory);
    o.Set("freeMemory", p.free_memory);
    o.Set("runtimeVersion", p.runtime_version);
    o.Set("driverVersion", p.driver_version);
    return o;
  });
}

// cudaBenchGemm(m, n, k, reps) → seconds of each timed dgemm on device-resident random data.
Napi::Value BenchGemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("m", info[0]);
    o.Set("n", info[1]);
    o.Set("k", info[2]);
    o.Set("reps", info[3]);
    const int m = get_int(o, "m", 1, kMaxDim), n = get_int(o, "n", 1, kMaxDim), k = get_int(o, "k", 1, kMaxDim);
    return seconds_to_js(info.Env(), cuda::bench_gemm(m, n, k, get_int(o, "reps", 1, 1000)));
  });
}

// cudaBenchGamma(fit, reps) → seconds of each timed gamma computation, result left on the device.
Napi::Value BenchGamma(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Arrays arrays;
    const QuadraticFit q = read_quadratic(info[0], arrays);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("reps", info[1]);
    return seconds_to_js(info.Env(), cuda::bench_gamma(q, get_int(o, "reps", 1, 1000)));
  });
}
}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaProbe", Napi::Function::New(env, Probe));
  exports.Set("cudaBenchGemm", Napi::Function::New(env, BenchGemm));
  exports.Set("cudaBenchGamma", Napi::Function::New(env, BenchGamma));
}

}  // namespace polyapprox_addon
