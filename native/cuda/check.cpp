// Status → CudaError (see check.hpp).
#include "check.hpp"

namespace polyapprox {
namespace cuda {

namespace {
std::string message(const std::string& call, const std::string& status, CudaFailure kind) {
  std::string m = "CUDA: " + call + " failed: " + status;
  if (kind == CudaFailure::OutOfMemory) m += " (device out of memory)";
  if (kind == CudaFailure::Unavailable) m += " (no usable CUDA device: absent, busy or prohibited)";
  return m;
}

const char* cublas_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "CUBLAS_STATUS_(unknown)";
  }
}

const char* cusolver_name(cusolverStatus_t s) {
  switch (s) {
    case CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    default: return "CUSOLVER_STATUS_(unknown)";
  }
}
}  // namespace

CudaError::CudaError(const std::string& call, const std::string& status, CudaFailure kind)
    : std::runtime_error(message(call, status, kind)), call_(call), status_(status), kind_(kind) {}

const char* CudaError::reason() const {
  switch (kind_) {
    case CudaFailure::Unavailable: return "unavailable";
    case CudaFailure::OutOfMemory: return "out-of-memory";
    default: return "other";
  }
}

void check(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  CudaFailure kind = CudaFailure::Other;
  switch (status) {
    case cudaErrorMemoryAllocation: kind = CudaFailure::OutOfMemory; break;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorDevicesUnavailable:
    case cudaErrorInvalidDevice:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice:
    case cudaErrorSystemNotReady:
    case cudaErrorNoKernelImageForDevice:
      kind = CudaFailure::Unavailable;
      break;
    default: break;
  }
  // Clear a non-sticky error so that the next call starts clean.
  cudaGetLastError();
  throw CudaError(call, std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) + ")", kind);
}

void check(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  const CudaFailure kind = status == CUBLAS_STATUS_ALLOC_FAILED ? CudaFailure::OutOfMemory
                           : status == CUBLAS_STATUS_NOT_INITIALIZED ? CudaFailure::Unavailable
                                                                      : CudaFailure::Other;
  throw CudaError(call, cublas_name(status), kind);
}

void check(cusolverStatus_t status, const char* call) {
  if (status == CUSOLVER_STATUS_SUCCESS) return;
  const CudaFailure kind = status == CUSOLVER_STATUS_ALLOC_FAILED ? CudaFailure::OutOfMemory
                           : status == CUSOLVER_STATUS_NOT_INITIALIZED ? CudaFailure::Unavailable
                                                                        : CudaFailure::Other;
  throw CudaError(call, cusolver_name(status), kind);
}

void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

}  // namespace cuda
}  // namespace polyapprox
