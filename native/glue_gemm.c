#include "napi_util.h"
void rlhf_register_gemm(napi_env env, napi_value exports) {}
