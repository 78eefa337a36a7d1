# The native backend: one addon, with the hot kernels compiled three times (portable C, AVX2+FMA,
# AVX-512) as static libraries; native/dispatch.c picks one at run time from CPUID, so a single build
# runs on every x86-64 machine (and the portable copy elsewhere).
{
  "variables": {
    "isa_sources": ["native/isa/gemm_micro.c", "native/isa/kernels.c", "native/isa/rows.c", "native/isa/attention.c", "native/isa/qlinear.c"],
    "common_cflags": ["-O3", "-fPIC", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-Wall", "-Wno-unused-parameter", "-Wno-unknown-pragmas"]
  },
  "targets": [
    {
      "target_name": "rlhf_isa_generic",
      "type": "static_library",
      "sources": ["<@(isa_sources)"],
      "defines": ["RLHF_ISA=generic"],
      "cflags": ["<@(common_cflags)"]
    },
    {
      "target_name": "rlhf_isa_avx2",
      "type": "static_library",
      "sources": ["<@(isa_sources)"],
      "defines": ["RLHF_ISA=avx2"],
      "conditions": [["target_arch=='x64'", { "cflags": ["<@(common_cflags)", "-mavx2", "-mfma", "-mf16c"] }, { "cflags": ["<@(common_cflags)"] }]]
    },
    {
      "target_name": "rlhf_isa_avx512",
      "type": "static_library",
      "sources": ["<@(isa_sources)"],
      "defines": ["RLHF_ISA=avx512"],
      "conditions": [["target_arch=='x64'", { "cflags": ["<@(common_cflags)", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma", "-mf16c"] }, { "cflags": ["<@(common_cflags)"] }]]
    },
    {
      "target_name": "rlhf_native",
      "sources": ["native/addon.c", "native/threadpool.c", "native/dispatch.c", "native/gemm.c", "native/glue_gemm.c", "native/glue_kernels.c", "native/glue_strided.c", "native/glue_rows.c", "native/glue_attention.c", "native/glue_decoder.c", "native/glue_util.c", "native/openblas.c", "native/decoder.c", "native/quant.c"],
      "dependencies": ["rlhf_isa_generic", "rlhf_isa_avx2", "rlhf_isa_avx512"],
      "cflags": ["<@(common_cflags)", "-pthread"],
      "libraries": ["-lpthread", "-ldl", "-lm"]
    }
  ]
}
