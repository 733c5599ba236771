// Node-API glue: unpack arguments (re-checking every buffer length against the sizes given),
// call native/core, wrap the result. No mathematics here. Arguments arrive already validated
// by lib/validate.ts; the checks below only make sure no call can read out of bounds or crash.
#include <napi.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.hpp"
#include "fit.hpp"
#include "integrals.hpp"
#include "hermite.hpp"
#include "quadratic.hpp"

namespace {
using namespace polyapprox;
using namespace polyapprox_addon;

struct FitResult {
  int degree = 1;
  LinearFit linear;
  QuadraticFit quadratic;
  CompactFit compact;
};

FitResult run_fit(const FitArgs& a) {
  FitResult r;
  r.degree = a.degree;
  if (a.degree >= 3)
    r.compact = a.glu ? impl::glu_compact_fit(a.g, a.dist, a.degree, a.opt) : impl::mlp_compact_fit(a.mlp, a.dist, a.degree, a.opt);
  else if (a.degree == 2)
    r.quadratic = a.glu ? impl::glu_quadratic_fit(a.g, a.dist, a.opt) : impl::mlp_quadratic_fit(a.mlp, a.dist, a.opt);
  else
    r.linear = a.glu ? impl::glu_linear_fit(a.g, a.dist, a.opt) : impl::mlp_linear_fit(a.mlp, a.dist, a.opt);
  return r;
}

Napi::Value fit_to_js(Napi::Env env, const FitResult& r) {
  Napi::Object o = Napi::Object::New(env);
  if (r.degree >= 3) {
    const CompactFit& c = r.compact;
    o.Set("m", to_f64(env, c.m));
    o.Set("s2", to_f64(env, c.s2));
    o.Set("coef", to_f64(env, c.coef));
    if (c.glu) {
      o.Set("mz", to_f64(env, c.mz));
      o.Set("kappa", to_f64(env, c.kappa));
      o.Set("coefR", to_f64(env, c.coef_r));
    }
    o.Set("solve", solve_to_js(env, c.solve));
  } else if (r.degree == 2) {
    const QuadraticFit& q = r.quadratic;
    o.Set("alpha", to_f64(env, q.alpha));
    o.Set("beta", to_f64(env, q.beta));
    o.Set("a", to_f64(env, q.a));
    if (!q.b.empty()) o.Set("b", to_f64(env, q.b));
    o.Set("solve", solve_to_js(env, q.solve));
  } else {
    o.Set("alpha", to_f64(env, r.linear.alpha));
    o.Set("beta", to_f64(env, r.linear.beta));
    o.Set("solve", solve_to_js(env, r.linear.solve));
  }
  return o;
}

Napi::Value FitSync(const Napi::CallbackInfo& info, bool glu) {
  return guarded(info, [&]() -> Napi::Value {
    FitArgs a;
    read_fit_args(info, glu, false, a);
    return fit_to_js(info.Env(), run_fit(a));
  });
}


Napi::Value FitAsync(const Napi::CallbackInfo& info, bool glu) {
  return guarded(info, [&]() -> Napi::Value {
    auto args = std::make_unique<FitArgs>();
    read_fit_args(info, glu, true, *args);
    return PromiseWorker<FitArgs, FitResult>::Start(info.Env(), std::move(args), run_fit, fit_to_js);
  });
}

// integrals(act, threshold, slope, which /*0: deriv_ev, 1: poly_ev*/, order, m, s)
Napi::Value Integrals(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 7) throw std::invalid_argument("integrals expects 7 arguments");
    Napi::Object spec = Napi::Object::New(env);
    spec.Set("act", info[0]);
    spec.Set("threshold", info[1]);
    spec.Set("slope", info[2]);
    Activation act = read_activation(spec);
    Napi::Object o = Napi::Object::New(env);
    o.Set("which", info[3]);
    o.Set("order", info[4]);
    const int which = get_int(o, "which", 0, 1);
    const int order = get_int(o, "order", 0, which == 0 ? kMaxDerivOrder : kMaxPolyOrder);
    Arrays arrays;
    if (!info[5].IsTypedArray()) throw std::invalid_argument("m must be a Float64Array");
    const size_t n = info[5].As<Napi::TypedArray>().ElementLength();
    const double* m = arrays.take(info[5], "m", n, false);
    const double* s = arrays.take(info[6], "s", n, false);
    Napi::Float64Array out = Napi::Float64Array::New(env, n);
    double* y = out.Data();
    for (size_t i = 0; i < n; ++i) y[i] = which == 0 ? deriv_ev(act, order, m[i], s[i]) : poly_ev(act, order, m[i], s[i]);
    return out;
  });
}

// linearPredict(alpha, beta, in, out, X, rows)
Napi::Value LinearPredict(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 6) throw std::invalid_argument("linearPredict expects 6 arguments");
    Napi::Object o = Napi::Object::New(env);
    o.Set("in", info[2]);
    o.Set("out", info[3]);
    o.Set("rows", info[5]);
    LinearFit f;
    f.in = get_int(o, "in", 1, kMaxDim);
    f.out = get_int(o, "out", 1, kMaxDim);
    const int rows = get_int(o, "rows", 0, kMaxDim);
    Arrays arrays;
    const double* alpha = arrays.take(info[0], "alpha", f.out, false);
    const double* beta = arrays.take(info[1], "beta", product({f.in, f.out}), false);
    const double* X = arrays.take(info[4], "X", product({rows, f.in}), false);
    f.alpha.assign(alpha, alpha + f.out);
    f.beta.assign(beta, beta + product({f.in, f.out}));
    return to_f64(env, impl::linear_predict(f, rows, X));
  });
}

// quadraticForm(fit, o) → G [in, in]
Napi::Value QuadraticForm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Arrays arrays;
    QuadraticFit q = read_quadratic(info[0], arrays);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("o", info[1]);
    const int out = get_int(o, "o", 0, q.out - 1);
    std::vector<double> G(product({q.in, q.in}));
    impl::quadratic_form(q, out, G.data());
    return to_f64(info.Env(), G);
  });
}

// quadraticGamma(fit) → gamma [out, in(in+1)/2]
Napi::Value QuadraticGamma(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Arrays arrays;
    const QuadraticFit q = read_quadratic(info[0], arrays);
    // Written in place: gamma can be gigabytes (the CUDA addon copies it straight from the device).
    Napi::Float64Array gamma = Napi::Float64Array::New(info.Env(), static_cast<size_t>(q.out) * (static_cast<size_t>(q.in) * (q.in + 1) / 2));
    impl::quadratic_gamma(q, gamma.Data());
    return gamma;
  });
}

// quadraticPredict(fit, X, rows) → Y [rows, out]
Napi::Value QuadraticPredict(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Arrays arrays;
    QuadraticFit q = read_quadratic(info[0], arrays);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("rows", info[2]);
    const int rows = get_int(o, "rows", 0, kMaxDim);
    const double* X = arrays.take(info[1], "X", product({rows, q.in}), false);
    return to_f64(info.Env(), impl::quadratic_predict(q, rows, X));
  });
}

// compactPredict(fit, X, rows) with fit = { in, hidden, out, degree, glu, W, b1, V?, b2?, W2?,
// biasOut, m, s2, coef, mz?, kappa?, coefR? } → Y [rows, out]
Napi::Value CompactPredict(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsObject()) throw std::invalid_argument("expected a compact fit object");
    Napi::Object o = info[0].As<Napi::Object>();
    Arrays arrays;
    CompactFit f;
    f.in = get_int(o, "in", 1, kMaxDim);
    f.hidden = get_int(o, "hidden", 1, kMaxDim);
    f.out = get_int(o, "out", 1, kMaxDim);
    f.degree = get_int(o, "degree", 1, kMaxDerivOrder);
    f.glu = o.Get("glu").ToBoolean();
    const size_t hn = product({f.hidden, f.in});
    auto copy = [&](const char* key, size_t n, bool optional, std::vector<double>& dst) {
      const double* p = arrays.take(o.Get(key), key, n, optional);
      if (p) dst.assign(p, p + n);
    };
    copy("W", hn, false, f.W);
    copy("b1", f.hidden, false, f.b1);
    copy("W2", product({f.out, f.hidden}), f.glu, f.W2);
    copy("biasOut", f.out, false, f.bias_out);
    copy("m", f.hidden, false, f.m);
    copy("s2", f.hidden, false, f.s2);
    copy("coef", product({f.hidden, f.degree + 1}), false, f.coef);
    if (f.glu) {
      copy("V", hn, false, f.V);
      copy("b2", f.hidden, false, f.b2);
      copy("mz", f.hidden, false, f.mz);
      copy("kappa", f.hidden, false, f.kappa);
      copy("coefR", product({f.hidden, f.degree}), false, f.coef_r);
    }
    if (f.W2.empty() && f.out != f.hidden) throw std::invalid_argument("a compact fit without W2 needs out == hidden");
    Napi::Object rr = Napi::Object::New(info.Env());
    rr.Set("rows", info[2]);
    const int rows = get_int(rr, "rows", 0, kMaxDim);
    const double* X = arrays.take(info[1], "X", product({rows, f.in}), false);
    return to_f64(info.Env(), impl::compact_predict(f, rows, X));
  });
}

// gemm(transA, transB, m, n, k, alpha, A, B) → C [m, n] = alpha·op(A)·op(B)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 8) throw std::invalid_argument("gemm expects 8 arguments");
    Napi::Object o = Napi::Object::New(env);
    o.Set("m", info[2]);
    o.Set("n", info[3]);
    o.Set("k", info[4]);
    o.Set("alpha", info[5]);
    const bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
    const int m = get_int(o, "m", 0, kMaxDim), n = get_int(o, "n", 0, kMaxDim), k = get_int(o, "k", 0, kMaxDim);
    const double alpha = get_double(o, "alpha");
    Arrays arrays;
    const double* A = arrays.take(info[6], "A", product({m, k}), false);
    const double* B = arrays.take(info[7], "B", product({k, n}), false);
    Napi::Float64Array C = Napi::Float64Array::New(env, product({m, n}));
    std::fill(C.Data(), C.Data() + product({m, n}), 0.0);
    impl::gemm(ta, tb, m, n, k, alpha, A, B, 0.0, C.Data());
    return C;
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("integrals", Napi::Function::New(env, Integrals));
  exports.Set("mlpFit", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return FitSync(i, false); }));
  exports.Set("gluFit", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return FitSync(i, true); }));
  exports.Set("mlpFitAsync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return FitAsync(i, false); }));
  exports.Set("gluFitAsync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return FitAsync(i, true); }));
  exports.Set("quadraticForm", Napi::Function::New(env, QuadraticForm));
  exports.Set("quadraticGamma", Napi::Function::New(env, QuadraticGamma));
  exports.Set("quadraticPredict", Napi::Function::New(env, QuadraticPredict));
  exports.Set("compactPredict", Napi::Function::New(env, CompactPredict));
  exports.Set("linearPredict", Napi::Function::New(env, LinearPredict));
  register_analysis(env, exports);
  register_variance(env, exports);
  register_mixture(env, exports);
#ifdef POLYAPPROX_CUDA
  register_cuda(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(polyapprox, Init)
