// The exception every failed CUDA, cuBLAS or cuSOLVER call becomes: it names the call and the
// status. No CUDA headers here, so the addon glue can catch it without them.
#pragma once
#include <stdexcept>
#include <string>

namespace polyapprox {
namespace cuda {

// What kind of failure it was, so that lib/backend.ts can tell the user what to do.
enum class CudaFailure {
  Unavailable,  // no device, no driver, or the device is busy/prohibited
  OutOfMemory,  // device memory exhausted
  Other,        // anything else (a bug or a broken installation)
};

class CudaError : public std::runtime_error {
 public:
  CudaError(const std::string& call, const std::string& status, CudaFailure kind);
  const std::string& call() const { return call_; }
  const std::string& status() const { return status_; }
  CudaFailure kind() const { return kind_; }
  // "unavailable", "out-of-memory" or "other": the `reason` property of the JS error.
  const char* reason() const;

 private:
  std::string call_, status_;
  CudaFailure kind_;
};

}  // namespace cuda
}  // namespace polyapprox
