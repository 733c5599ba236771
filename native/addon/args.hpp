// Shared argument handling of the addon's entry points: typed-array arguments re-checked
// against the sizes they claim (so nothing reaching the addon can read out of bounds), coded
// errors, and the guard that turns every C++ exception into a JS one.
#pragma once
#include <napi.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "activation.hpp"
#include "quadratic.hpp"
#ifdef POLYAPPROX_CUDA
#include "polyapprox_cuda.hpp"
#endif

namespace polyapprox_addon {
using namespace polyapprox;

// The functions the glue calls: native/core's, or in the CUDA addon (compiled with POLYAPPROX_CUDA,
// build/Release/polyapprox_cuda.so) native/cuda's of the same signatures.
#ifdef POLYAPPROX_CUDA
namespace impl = polyapprox::cuda;
#else
namespace impl = polyapprox;
#endif

inline Napi::Error coded(Napi::Env env, const std::string& msg, const char* code, bool range = false) {
  Napi::Error err = range ? Napi::RangeError::New(env, msg) : Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

// Which family a core exception belongs to, so the JS side can translate it.
enum class Failure { None, Domain, Argument, Other, CudaUnavailable, CudaOutOfMemory, CudaOther };

inline Failure classify(const std::exception& e) {
#ifdef POLYAPPROX_CUDA
  if (auto* c = dynamic_cast<const polyapprox::cuda::CudaError*>(&e)) {
    switch (c->kind()) {
      case polyapprox::cuda::CudaFailure::Unavailable: return Failure::CudaUnavailable;
      case polyapprox::cuda::CudaFailure::OutOfMemory: return Failure::CudaOutOfMemory;
      default: return Failure::CudaOther;
    }
  }
#endif
  if (dynamic_cast<const std::domain_error*>(&e)) return Failure::Domain;
  if (dynamic_cast<const std::invalid_argument*>(&e)) return Failure::Argument;
  return Failure::Other;
}

inline Napi::Error failure_to_js(Napi::Env env, Failure f, const std::string& msg) {
  switch (f) {
    case Failure::Domain: return coded(env, msg, "ERR_POLYAPPROX_DOMAIN", true);
    case Failure::Argument: return coded(env, msg, "ERR_POLYAPPROX_INVALID_ARGUMENT", true);
    case Failure::CudaUnavailable:
    case Failure::CudaOutOfMemory:
    case Failure::CudaOther: {
      // `reason` lets lib/backend.ts choose its advice: 'unavailable', 'out-of-memory' or 'other'.
      Napi::Error err = coded(env, msg, "ERR_POLYAPPROX_CUDA");
      err.Set("reason", Napi::String::New(env, f == Failure::CudaUnavailable   ? "unavailable"
                                               : f == Failure::CudaOutOfMemory ? "out-of-memory"
                                                                               : "other"));
      return err;
    }
    default: return coded(env, msg, "ERR_POLYAPPROX_NATIVE");
  }
}

// Arguments of a fit, either borrowed from JS buffers (sync) or copied (async, so that the
// worker thread never touches JS-owned memory).
struct Arrays {
  std::vector<std::vector<double>> owned;
  bool copy = false;
  const double* take(const Napi::Value& v, const char* name, size_t expected, bool optional) {
    if (v.IsUndefined() || v.IsNull()) {
      if (optional) return nullptr;
      throw std::invalid_argument(std::string(name) + " is required");
    }
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw std::invalid_argument(std::string(name) + " must be a Float64Array");
    auto arr = v.As<Napi::Float64Array>();
    if (arr.ElementLength() != expected)
      throw std::invalid_argument(std::string(name) + " must have " + std::to_string(expected) +
                                  " elements, got " + std::to_string(arr.ElementLength()));
    if (!copy) return arr.Data();
    owned.emplace_back(arr.Data(), arr.Data() + expected);
    return owned.back().data();
  }
};

inline int get_int(const Napi::Object& o, const char* key, int lo, int hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw std::invalid_argument(std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || d != static_cast<int>(d))
    throw std::invalid_argument(std::string(key) + " out of range");
  return static_cast<int>(d);
}

inline double get_double(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw std::invalid_argument(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

constexpr int kMaxDim = 1 << 28;

inline Activation read_activation(const Napi::Object& o) {
  Activation a;
  a.kind = static_cast<ActKind>(get_int(o, "act", 0, kActKindCount - 1));
  a.threshold = get_double(o, "threshold");
  a.slope = get_double(o, "slope");
  return a;
}

inline size_t product(std::initializer_list<int> dims) {
  size_t p = 1;
  for (int d : dims) p *= static_cast<size_t>(d);
  return p;
}

inline Napi::Float64Array to_f64(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array arr = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), arr.Data());
  return arr;
}

// The compact quadratic form sent back from JS: { in, hidden, out, alpha, beta, W, V?, a, b? }.
inline QuadraticFit read_quadratic(const Napi::Value& v, Arrays& arrays) {
  if (!v.IsObject()) throw std::invalid_argument("expected a quadratic fit object");
  Napi::Object o = v.As<Napi::Object>();
  QuadraticFit q;
  q.in = get_int(o, "in", 1, kMaxDim);
  q.hidden = get_int(o, "hidden", 1, kMaxDim);
  q.out = get_int(o, "out", 1, kMaxDim);
  q.single = o.Get("single").ToBoolean();
  auto copy = [&](const char* key, size_t n, bool optional, std::vector<double>& dst) {
    const double* p = arrays.take(o.Get(key), key, n, optional);
    if (p) dst.assign(p, p + n);
  };
  copy("alpha", q.out, false, q.alpha);
  copy("beta", product({q.in, q.out}), false, q.beta);
  copy("W", product({q.hidden, q.in}), false, q.W);
  copy("V", product({q.hidden, q.in}), true, q.V);
  copy("a", product({q.out, q.hidden}), false, q.a);
  copy("b", product({q.out, q.hidden}), true, q.b);
  if (q.V.empty() != q.b.empty()) throw std::invalid_argument("V and b go together");
  return q;
}

// The arguments of every fit entry point: (net, input, options), MLP or GLU.
struct FitArgs {
  bool glu = false;
  int degree = 1;
  Mlp mlp;
  Glu g;
  InputDist dist;
  FitOptions opt;
  Arrays arrays;
};

inline void read_fit_args(const Napi::CallbackInfo& info, bool glu, bool copy, FitArgs& a) {
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject())
    throw std::invalid_argument("expected (net, input, options) objects");
  a.glu = glu;
  a.arrays.copy = copy;
  Napi::Object net = info[0].As<Napi::Object>();
  Napi::Object dist = info[1].As<Napi::Object>();
  Napi::Object opt = info[2].As<Napi::Object>();
  const int in = get_int(net, "in", 1, kMaxDim), hidden = get_int(net, "hidden", 1, kMaxDim),
            out = get_int(net, "out", 1, kMaxDim);
  if (glu) {
    Glu& g = a.g;
    g.in = in, g.hidden = hidden, g.out = out;
    g.W = a.arrays.take(net.Get("W"), "W", product({hidden, in}), false);
    g.V = a.arrays.take(net.Get("V"), "V", product({hidden, in}), false);
    g.b1 = a.arrays.take(net.Get("b1"), "b1", hidden, true);
    g.b2 = a.arrays.take(net.Get("b2"), "b2", hidden, true);
    g.W2 = a.arrays.take(net.Get("W2"), "W2", product({out, hidden}), true);
    if (!g.W2 && out != hidden) throw std::invalid_argument("GLU without W2 needs out == hidden");
    g.act = read_activation(net);
  } else {
    Mlp& m = a.mlp;
    m.in = in, m.hidden = hidden, m.out = out;
    m.W1 = a.arrays.take(net.Get("W1"), "W1", product({hidden, in}), false);
    m.b1 = a.arrays.take(net.Get("b1"), "b1", hidden, true);
    m.W2 = a.arrays.take(net.Get("W2"), "W2", product({out, hidden}), false);
    m.b2 = a.arrays.take(net.Get("b2"), "b2", out, true);
    m.act = read_activation(net);
  }
  InputDist& d = a.dist;
  d.in = get_int(dist, "in", 1, kMaxDim);
  if (d.in != in) throw std::invalid_argument("input size does not match the network");
  d.K = get_int(dist, "K", 1, kMaxDim);
  d.weights = a.arrays.take(dist.Get("weights"), "weights", d.K, true);
  d.means = a.arrays.take(dist.Get("means"), "means", product({d.K, in}), true);
  d.covs = a.arrays.take(dist.Get("covs"), "covs", product({d.K, in, in}), true);
  a.degree = get_int(opt, "degree", 1, kMaxDerivOrder);
  a.opt.rcond = get_double(opt, "rcond");
  a.opt.ridge = get_double(opt, "ridge");
  a.opt.psd_tol = get_double(opt, "psdTol");
  a.opt.single = opt.Get("single").ToBoolean();
}

inline Napi::Object solve_to_js(Napi::Env env, const SolveInfo& info) {
  Napi::Object s = Napi::Object::New(env);
  s.Set("method", info.method);
  s.Set("rank", info.rank);
  s.Set("cutoff", info.cutoff);
  s.Set("rcond", info.rcond);
  s.Set("ridge", info.ridge);
  return s;
}

// Runs `body`, turning every C++ exception into a coded JS exception.
template <class F>
inline Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  Napi::Env env = info.Env();
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw failure_to_js(env, classify(e), e.what());
  } catch (...) {
    throw coded(env, "unknown native error", "ERR_POLYAPPROX_NATIVE");
  }
}

// Adds the analysis entry points (analysis.cpp: interactionEigen[Async]) to the exports.
void register_analysis(Napi::Env env, Napi::Object exports);

// Adds the variance-explained entry points (variance.cpp: varianceExplained[Async]) to the exports.
void register_variance(Napi::Env env, Napi::Object exports);

// Adds the exact mixture quadratic (mixture.cpp: mixtureQuadraticFit[Async]) to the exports.
void register_mixture(Napi::Env env, Napi::Object exports);
#ifdef POLYAPPROX_CUDA
// Adds the CUDA addon's own entry points (cuda_addon.cpp: cudaProbe, cudaBench*) to the exports.
void register_cuda(Napi::Env env, Napi::Object exports);
#endif


// Runs body on a worker thread: an exception becomes its Failure and message (Failure::None if
// body returned), since nothing may be thrown out of AsyncWorker::Execute.
template <class F>
inline Failure capture(F body, std::string& message) {
  try {
    body();
    return Failure::None;
  } catch (const std::exception& e) {
    message = e.what();
    return classify(e);
  } catch (...) {
    message = "unknown native error";
    return Failure::Other;
  }
}

// Runs run(*args) on a worker thread and settles a Promise with to_js(env, result); every C++
// exception becomes a coded rejection, nothing escapes into Node. `args` owns copies of its
// arrays, so the worker never touches JS memory.
template <class Args, class Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using RunFn = Result (*)(const Args&);
  using ToJsFn = Napi::Value (*)(Napi::Env, const Result&);

  static Napi::Promise Start(Napi::Env env, std::unique_ptr<Args> args, RunFn run, ToJsFn to_js) {
    auto* worker = new PromiseWorker(env, std::move(args), run, to_js);
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

  void Execute() override {
    std::string message;
    failure_ = capture([&] { result_ = run_(*args_); }, message);
    if (failure_ != Failure::None) SetError(message);
  }
  void OnOK() override { deferred_.Resolve(to_js_(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(failure_to_js(Env(), failure_, e.Message()).Value()); }

 private:
  PromiseWorker(Napi::Env env, std::unique_ptr<Args> args, RunFn run, ToJsFn to_js)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), args_(std::move(args)), run_(run), to_js_(to_js) {}

  Napi::Promise::Deferred deferred_;
  std::unique_ptr<Args> args_;
  RunFn run_;
  ToJsFn to_js_;
  Result result_{};
  Failure failure_ = Failure::Other;
};

}  // namespace polyapprox_addon
