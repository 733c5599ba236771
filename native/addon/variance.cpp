// Node-API glue of the analytic variance explained (native/core/variance.hpp): unpack, one core
// call, wrap. Arguments arrive validated by lib/variance.ts; the checks here only keep a call that
// bypasses TypeScript from reading out of bounds or crashing.
#include <napi.h>

#include <memory>
#include <stdexcept>

#include "args.hpp"
#include "variance.hpp"

namespace polyapprox_addon {

namespace {
struct VarianceArgs {
  Mlp net;
  InputDist dist;
  int degree = 1;
  VarianceOptions opt;
  Arrays arrays;
};

// (net { in, hidden, out, W1, b1?, W2, b2?, act, threshold, slope },
//  input { in, K, weights?, means?, covs? }, options { degree, psdTol, pairTol }).
// copy: the async call copies the arrays so the worker never touches JS-owned memory.
void read_variance_args(const Napi::CallbackInfo& info, bool copy, VarianceArgs& a) {
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject())
    throw std::invalid_argument("expected (net, input, options) objects");
  a.arrays.copy = copy;
  Napi::Object net = info[0].As<Napi::Object>();
  Napi::Object dist = info[1].As<Napi::Object>();
  Napi::Object opt = info[2].As<Napi::Object>();
  Mlp& m = a.net;
  m.in = get_int(net, "in", 1, kMaxDim);
  m.hidden = get_int(net, "hidden", 1, kMaxDim);
  m.out = get_int(net, "out", 1, kMaxDim);
  m.W1 = a.arrays.take(net.Get("W1"), "W1", product({m.hidden, m.in}), false);
  m.b1 = a.arrays.take(net.Get("b1"), "b1", m.hidden, true);
  m.W2 = a.arrays.take(net.Get("W2"), "W2", product({m.out, m.hidden}), false);
  m.b2 = a.arrays.take(net.Get("b2"), "b2", m.out, true);
  m.act = read_activation(net);
  InputDist& d = a.dist;
  d.in = get_int(dist, "in", 1, kMaxDim);
  if (d.in != m.in) throw std::invalid_argument("input size does not match the network");
  d.K = get_int(dist, "K", 1, 1);
  d.weights = a.arrays.take(dist.Get("weights"), "weights", d.K, true);
  d.means = a.arrays.take(dist.Get("means"), "means", product({d.K, m.in}), true);
  d.covs = a.arrays.take(dist.Get("covs"), "covs", product({d.K, m.in, m.in}), true);
  a.degree = get_int(opt, "degree", 1, kMaxDerivOrder);
  a.opt.psd_tol = get_double(opt, "psdTol");
  a.opt.pair_tol = get_double(opt, "pairTol");
  if (!(a.opt.psd_tol >= 0) || !(a.opt.pair_tol > 0)) throw std::invalid_argument("psdTol must be ≥ 0 and pairTol > 0");
}

VarianceExplained run_variance(const VarianceArgs& a) {
  return mlp_variance_explained(a.net, a.dist, a.degree, a.opt);
}

Napi::Value variance_to_js(Napi::Env env, const VarianceExplained& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("varF", to_f64(env, r.var_f));
  o.Set("varQ", to_f64(env, r.var_q));
  o.Set("fvu", to_f64(env, r.fvu));
  o.Set("byDegree", to_f64(env, r.by_degree));
  o.Set("pairsClosed", static_cast<double>(r.pairs_closed));
  o.Set("pairsSeries", static_cast<double>(r.pairs_series));
  o.Set("pairsQuadrature", static_cast<double>(r.pairs_quadrature));
  return o;
}

// varianceExplained(net, input, options) → { varF, varQ, fvu, byDegree, pairs… }
Napi::Value VarianceExplainedSync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    VarianceArgs a;
    read_variance_args(info, false, a);
    return variance_to_js(info.Env(), run_variance(a));
  });
}

// varianceExplainedAsync(net, input, options) → Promise of the same
Napi::Value VarianceExplainedAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto args = std::make_unique<VarianceArgs>();
    read_variance_args(info, true, *args);
    return PromiseWorker<VarianceArgs, VarianceExplained>::Start(info.Env(), std::move(args), run_variance,
                                                                 variance_to_js);
  });
}
}  // namespace

void register_variance(Napi::Env env, Napi::Object exports) {
  exports.Set("varianceExplained", Napi::Function::New(env, VarianceExplainedSync));
  exports.Set("varianceExplainedAsync", Napi::Function::New(env, VarianceExplainedAsync));
}

}  // namespace polyapprox_addon
