// Node-API glue of the analyses of a fitted approximant (native/core/eigen.hpp): unpack, one
// core call, wrap. Arguments arrive validated by lib/eigen.ts; the checks here only keep a call
// that bypasses TypeScript from reading out of bounds or crashing.
#include <napi.h>

#include <climits>
#include <memory>
#include <stdexcept>
#include <string>

#include "args.hpp"
#include "eigen.hpp"

namespace polyapprox_addon {

namespace {
struct EigenArgs {
  QuadraticFit fit;
  int o = 0;
  bool lanczos = false;
  EigenOptions opt;
};

// (fit, o, { k, method: 'dense' | 'lanczos', tol, maxIter }). read_quadratic copies the
// arrays, so the same arguments serve the worker thread.
void read_eigen_args(const Napi::CallbackInfo& info, EigenArgs& a) {
  if (info.Length() < 3 || !info[2].IsObject()) throw std::invalid_argument("expected (fit, o, options)");
  Arrays arrays;
  a.fit = read_quadratic(info[0], arrays);
  Napi::Object opt = info[2].As<Napi::Object>();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("o", info[1]);
  a.o = get_int(o, "o", 0, a.fit.out - 1);
  a.opt.k = get_int(opt, "k", 1, a.fit.in);
  Napi::Value method = opt.Get("method");
  const std::string m = method.IsString() ? method.As<Napi::String>().Utf8Value() : "";
  if (m != "dense" && m != "lanczos") throw std::invalid_argument("method must be 'dense' or 'lanczos'");
  a.lanczos = m == "lanczos";
  a.opt.tol = get_double(opt, "tol");
  if (!(a.opt.tol >= 0)) throw std::invalid_argument("tol must be ≥ 0");
  a.opt.max_iter = get_int(opt, "maxIter", 0, INT_MAX);
}

EigenResult run_eigen(const EigenArgs& a) {
  return a.lanczos ? impl::interaction_eigen_lanczos(a.fit, a.o, a.opt) : impl::interaction_eigen_dense(a.fit, a.o, a.opt.k);
}

Napi::Value eigen_to_js(Napi::Env env, const EigenResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("values", to_f64(env, r.values));
  o.Set("vectors", to_f64(env, r.vectors));
  o.Set("method", r.method);
  o.Set("iterations", r.iterations);
  o.Set("converged", r.converged);
  return o;
}

// interactionEigen(fit, o, options) → { values, vectors, method, iterations, converged }
Napi::Value InteractionEigen(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    EigenArgs a;
    read_eigen_args(info, a);
    return eigen_to_js(info.Env(), run_eigen(a));
  });
}


// interactionEigenAsync(fit, o, options) → Promise of the same
Napi::Value InteractionEigenAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto args = std::make_unique<EigenArgs>();
    read_eigen_args(info, *args);
    return PromiseWorker<EigenArgs, EigenResult>::Start(info.Env(), std::move(args), run_eigen, eigen_to_js);
  });
}
}  // namespace

void register_analysis(Napi::Env env, Napi::Object exports) {
  exports.Set("interactionEigen", Napi::Function::New(env, InteractionEigen));
  exports.Set("interactionEigenAsync", Napi::Function::New(env, InteractionEigenAsync));
}

}  // namespace polyapprox_addon
