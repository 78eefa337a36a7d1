#include "napi_util.h"
void rlhf_register_kernels(napi_env env, napi_value exports) {}
