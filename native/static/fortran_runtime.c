/*
 * The part of the GNU Fortran runtime that a statically linked OpenBLAS needs, for prebuilds
 * (binding.gyp compiles this file only when polyapprox_static_openblas is "true").
 *
 * Debian's libgfortran.a cannot go into a shared object: it is built as PIE and its async.o uses
 * local-exec TLS (R_X86_64_TPOFF32), which ld rejects with -shared; and the one function
 * OpenBLAS's Fortran LAPACK calls, _gfortran_concat_string (CHARACTER concatenation, e.g. the
 * option strings passed to ILAENV), lives in an object whose error handling pulls that I/O code
 * in. So the addon carries its own copy of that function, with libgfortran's semantics
 * (libgfortran/intrinsics/string_intrinsics_inc.c: copy s1, then s2, truncate to destlen, pad
 * with blanks). Hidden: nothing outside the addon sees it.
 *
 * Debian's libopenblas.a 0.3.21 references one other runtime symbol, _gfortran_etime, from
 * second_/dsecnd_ (LAPACK timers) only; nothing here calls them, so they are never linked.
 * scripts/prebuild.js and test/prebuild.test.ts fail if any Fortran symbol is left undefined.
 */
#include <stddef.h>
#include <string.h>

__attribute__((visibility("hidden"))) void _gfortran_concat_string(size_t destlen, char *dest, size_t len1,
                                                                   const char *s1, size_t len2, const char *s2);

void _gfortran_concat_string(size_t destlen, char *dest, size_t len1, const char *s1, size_t len2, const char *s2) {
  if (len1 >= destlen) {
    memcpy(dest, s1, destlen);
    return;
  }
  memcpy(dest, s1, len1);
  dest += len1;
  destlen -= len1;
  if (len2 >= destlen) {
    memcpy(dest, s2, destlen);
    return;
  }
  memcpy(dest, s2, len2);
  memset(dest + len2, ' ', destlen - len2);
}
