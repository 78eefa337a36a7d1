/* Picks the instruction set once, from CPUID, so one build runs fast on AVX2-only and AVX-512
 * machines alike. RLHF_ISA=generic|avx2|avx512 narrows the choice (never widens it). */
#include "rlhf.h"

#include <stdlib.h>
#include <string.h>

static int chosen = -1;

int rlhf_isa_supported(rlhf_isa_t isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (isa) {
    case RLHF_ISA_GENERIC: return 1;
    case RLHF_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case RLHF_ISA_AVX512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("fma");
  }
  return 0;
#else
  return isa == RLHF_ISA_GENERIC;
#endif
}

const char *rlhf_isa_name(rlhf_isa_t isa) {
  switch (isa) {
    case RLHF_ISA_AVX512: return "avx512";
    case RLHF_ISA_AVX2: return "avx2";
    default: return "generic";
  }
}

rlhf_isa_t rlhf_isa(void) {
  if (chosen < 0) {
    rlhf_isa_t best = RLHF_ISA_GENERIC;
    if (rlhf_isa_supported(RLHF_ISA_AVX2)) best = RLHF_ISA_AVX2;
    if (rlhf_isa_supported(RLHF_ISA_AVX512)) best = RLHF_ISA_AVX512;
    const char *env = getenv("RLHF_ISA");
    if (env) {
      if (strcmp(env, "generic") == 0) best = RLHF_ISA_GENERIC;
      else if (strcmp(env, "avx2") == 0 && rlhf_isa_supported(RLHF_ISA_AVX2)) best = RLHF_ISA_AVX2;
    }
    chosen = best;
  }
  return (rlhf_isa_t)chosen;
}

int rlhf_set_isa(rlhf_isa_t isa) {
  if (!rlhf_isa_supported(isa)) return 0;
  chosen = isa;
  return 1;
}

static int ext_mask = -1;

static int ext_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return (__builtin_cpu_supports("avx512vnni") ? RLHF_EXT_VNNI : 0) | (__builtin_cpu_supports("avx512bf16") ? RLHF_EXT_BF16 : 0);
#else
  return 0;
#endif
}

int rlhf_isa_ext(void) {
  if (ext_mask < 0) ext_mask = ext_supported();
  return ext_mask;
}

void rlhf_set_isa_ext(int mask) { ext_mask = mask & ext_supported(); }
