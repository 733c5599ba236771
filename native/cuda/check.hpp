// Status checking for the CUDA runtime, cuBLAS and cuSOLVER: every call's status is turned into a
// CudaError (error.hpp) that names the call and the status (the addon maps it to a JS error with code
// ERR_POLYAPPROX_CUDA). No Node here; only the CUDA headers.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include "error.hpp"

namespace polyapprox {
namespace cuda {

void check(cudaError_t status, const char* call);
void check(cublasStatus_t status, const char* call);
void check(cusolverStatus_t status, const char* call);

// After a kernel launch: the launch configuration error, if any.
void check_launch(const char* kernel);

}  // namespace cuda
}  // namespace polyapprox

// PA_CUDA(cublasDgemm, handle, ...) calls the function and checks its status under its own name.
// Just this one macro: it keeps the name in the message and the call on one line.
#define PA_CUDA(fn, ...) ::polyapprox::cuda::check(fn(__VA_ARGS__), #fn)
