/* testsuite/oracles/cpu.h: which wider instruction sets the CPU runs, for the oracles' kernels
 * compiled twice (exact_kernels.h, vdual_lanes.h): BP_CPU_X86 1 where GCC's target attribute
 * applies, and then bp_cpu_avx2() and bp_cpu_fma().
 *
 * By what glibc found at startup (<sys/platform/x86.h>, glibc 2.33 on) where it says so:
 * __builtin_cpu_supports links libgcc's own CPUID probe, a constructor that every process of
 * bpcheck ran, 0.04 ms of `bpcheck --version`'s 1 ms under a hypervisor that traps CPUID (perf,
 * 500 runs). */
#ifndef BPCHECK_CPU_H
#define BPCHECK_CPU_H

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define BP_CPU_X86 1
#if defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define BP_CPU_GLIBC 1
#endif
#endif

static inline int bp_cpu_avx2(void)
{
#ifdef BP_CPU_GLIBC
    return CPU_FEATURE_ACTIVE(AVX2);
#else
    return __builtin_cpu_supports("avx2");
#endif
}

static inline int bp_cpu_fma(void)
{
#ifdef BP_CPU_GLIBC
    return CPU_FEATURE_ACTIVE(FMA);
#else
    return __builtin_cpu_supports("fma");
#endif
}
#else
#define BP_CPU_X86 0
#endif

#endif
