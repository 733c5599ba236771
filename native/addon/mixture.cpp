// Node-API glue of the exact mixture quadratic (native/core/mixture_quadratic.hpp):
//   mixtureQuadraticFit(net, input, options, solve, glu)       → result (sync; solve.progress may
//                                                                 return true to cancel)
//   mixtureQuadraticFitAsync(net, input, options, solve, glu)  → { promise, cancel }
// solve = { tol, maxIter, memoryLimit, progress?: (iter, residual) => boolean | void }.
// The async solve reports progress through an AsyncProgressQueueWorker (every report reaches JS
// before the promise settles) and polls an atomic flag that cancel() sets.
#include <napi.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include "args.hpp"
#include "mixture_quadratic.hpp"

namespace polyapprox_addon {
namespace {

struct MixtureArgs {
  FitArgs fit;
  MixtureSolveOptions solve;
};

void read_mixture_args(const Napi::CallbackInfo& info, bool copy, MixtureArgs& a) {
  if (info.Length() < 5 || !info[3].IsObject()) throw std::invalid_argument("expected (net, input, options, solve, glu)");
  const bool glu = info[4].ToBoolean();
  read_fit_args(info, glu, copy, a.fit);
  if (a.fit.dist.K < 1) throw std::invalid_argument("K must be ≥ 1");
  Napi::Object s = info[3].As<Napi::Object>();
  a.solve.tol = get_double(s, "tol");
  a.solve.max_iter = get_int(s, "maxIter", 1, 1 << 30);
  a.solve.memory_limit = get_double(s, "memoryLimit");
  if (!(a.solve.tol > 0) || !(a.solve.memory_limit > 0)) throw std::invalid_argument("tol and memoryLimit must be > 0");
}

MixtureQuadraticFit run_mixture(const MixtureArgs& a) {
  return a.fit.glu ? impl::glu_mixture_quadratic_fit(a.fit.g, a.fit.dist, a.fit.opt, a.solve)
                   : impl::mlp_mixture_quadratic_fit(a.fit.mlp, a.fit.dist, a.fit.opt, a.solve);
}

Napi::Value mixture_to_js(Napi::Env env, const MixtureQuadraticFit& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("alpha", to_f64(env, f.alpha));
  o.Set("beta", to_f64(env, f.beta));
  o.Set("dense", to_f64(env, f.G));
  Napi::Object s = solve_to_js(env, f.solve);
  s.Set("iterations", f.info.iterations);
  s.Set("restarts", f.info.restarts);
  s.Set("float32Iterations", f.info.single_iterations);
  s.Set("residual", f.info.residual);
  s.Set("converged", f.info.converged);
  s.Set("seconds", f.info.seconds);
  o.Set("solve", s);
  return o;
}

Napi::Error abort_error(Napi::Env env) {
  Napi::Error e = Napi::Error::New(env, SolveCancelled().what());
  e.Set("name", Napi::String::New(env, "AbortError"));
  e.Set("code", Napi::String::New(env, "ABORT_ERR"));
  return e;
}

Napi::Value MixtureSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MixtureArgs a;
  std::atomic<bool> cancel{false};
  bool aborted = false;
  return guarded(info, [&]() -> Napi::Value {
    read_mixture_args(info, false, a);
    Napi::Value p = info[3].As<Napi::Object>().Get("progress");
    if (p.IsFunction()) {
      Napi::Function fn = p.As<Napi::Function>();
      a.solve.progress = [&, fn](int iter, double residual) {
        Napi::Value r = fn.Call({Napi::Number::New(env, iter), Napi::Number::New(env, residual)});
        if (r.IsBoolean() && r.As<Napi::Boolean>().Value()) cancel = true;
      };
    }
    a.solve.cancel = &cancel;
    try {
      return mixture_to_js(env, run_mixture(a));
    } catch (const SolveCancelled&) {
      aborted = true;
    }
    if (aborted) throw abort_error(env);
    return env.Undefined();
  });
}

struct Progress {
  int iter;
  double residual;
};

class MixtureWorker : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  MixtureWorker(Napi::Env env, std::unique_ptr<MixtureArgs> args, Napi::Value progress)
      : Napi::AsyncProgressQueueWorker<Progress>(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        args_(std::move(args)),
        cancel_(std::make_shared<std::atomic<bool>>(false)) {
    if (progress.IsFunction()) progress_ = Napi::Persistent(progress.As<Napi::Function>());
  }

  Napi::Promise promise() { return deferred_.Promise(); }
  std::shared_ptr<std::atomic<bool>> cancel_flag() { return cancel_; }

  void Execute(const ExecutionProgress& progress) override {
    args_->solve.cancel = cancel_.get();
    args_->solve.progress = [&progress](int iter, double residual) {
      Progress p{iter, residual};
      progress.Send(&p, 1);
    };
    std::string message;
    failure_ = capture(
        [&] {
          try {
            result_ = run_mixture(*args_);
          } catch (const SolveCancelled&) {
            aborted_ = true;
            throw;
          }
        },
        message);
    if (failure_ != Failure::None) SetError(message);
  }

  void OnProgress(const Progress* data, size_t count) override {
    if (progress_.IsEmpty()) return;
    Napi::HandleScope scope(Env());
    for (size_t i = 0; i < count; ++i) {
      try {
        progress_.Call({Napi::Number::New(Env(), data[i].iter), Napi::Number::New(Env(), data[i].residual)});
      } catch (const Napi::Error&) {
        // A throwing progress callback must not take the process down; the solve goes on.
      }
    }
  }

  void OnOK() override { deferred_.Resolve(mixture_to_js(Env(), result_)); }
  void OnError(const Napi::Error& e) override {
    if (aborted_) deferred_.Reject(abort_error(Env()).Value());
    else deferred_.Reject(failure_to_js(Env(), failure_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<MixtureArgs> args_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference progress_;
  MixtureQuadraticFit result_;
  Failure failure_ = Failure::Other;
  bool aborted_ = false;
};

Napi::Value MixtureAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto args = std::make_unique<MixtureArgs>();
    read_mixture_args(info, true, *args);
    auto* worker = new MixtureWorker(env, std::move(args), info[3].As<Napi::Object>().Get("progress"));
    std::shared_ptr<std::atomic<bool>> flag = worker->cancel_flag();
    Napi::Object r = Napi::Object::New(env);
    r.Set("promise", worker->promise());
    r.Set("cancel", Napi::Function::New(env, [flag](const Napi::CallbackInfo& ci) -> Napi::Value {
            flag->store(true);
            return ci.Env().Undefined();
          }));
    worker->Queue();
    return r;
  });
}
}  // namespace

void register_mixture(Napi::Env env, Napi::Object exports) {
  exports.Set("mixtureQuadraticFit", Napi::Function::New(env, MixtureSync));
  exports.Set("mixtureQuadraticFitAsync", Napi::Function::New(env, MixtureAsync));
  exports.Set("mixtureMemoryEstimate", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return guarded(info, [&]() -> Napi::Value {
                  if (info.Length() < 3) throw std::invalid_argument("expected (in, out, K[, single])");
                  auto num = [&](int i) { return info[i].As<Napi::Number>().Int32Value(); };
                  const bool single = info.Length() > 3 && info[3].ToBoolean().Value();
                  return Napi::Number::New(info.Env(), mixture_memory_estimate(num(0), num(1), num(2), single));
                });
              }));
}

}  // namespace polyapprox_addon
