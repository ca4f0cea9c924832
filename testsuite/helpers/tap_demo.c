/* testsuite/helpers/tap_demo.c: a TAP program that fails on purpose, for testsuite/t/tap.c.
 * `tap_demo` emits every kind of point (pass, fail, NaN, Inf, array, skip, TODO, note);
 * `tap_demo pass` emits only passing points; `tap_demo bail` bails out after one point. */
#include <math.h>
#include <string.h>

#include "tap.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "fail";
    if (strcmp(mode, "bail") == 0) {
        tap_plan(3);
        tap_ok(1, "before the bail-out");
        tap_bail_out("cannot continue: %s", "demo");
    }
    tap_ok(1, "passes");
    tap_is_double(2.385, 2.385 * (1 + 1e-15), 1e-14, 0.0, "2.385 within a relative 1e-14");
    tap_is_double(INFINITY, INFINITY, 0.0, 0.0, "+Inf equals +Inf");
    if (strcmp(mode, "pass") == 0)
        return tap_done();
    tap_is_int(3, 4, "integers that differ");
    tap_is_double(NAN, NAN, 1.0, 1.0, "NaN never equals NaN");
    tap_is_double(-INFINITY, INFINITY, 1.0, 1.0, "-Inf is not +Inf");
    tap_is_double(1.0, 1.5, 0.0, 0.25, "0.5 apart with atol 0.25");
    double got[6] = {1, 2, 3, 4, 5, NAN}, want[6] = {1, 2, 3, 4, 5.5, 6};
    tap_is_double_array(got, want, NULL, 2, 3, 0.0, 0.1, "a 2x3 array with two bad entries");
    double got3[3] = {1, 2, 3}, want3[3] = {1.25, NAN, 3.75}, tol[3] = {0.5, 0.5, 0.5};
    tap_is_double_array(got3, want3, tol, 3, 1, 0.0, 0.0, "per-entry tolerance, NaN expected");
    tap_skip("nothing to run %s", "here");
    tap_todo_begin("not fixed yet");
    tap_ok(0, "a known failure");
    tap_todo_end();
    tap_ok(1, "a # in a description is not a directive");
    tap_note("a note in the stream");
    tap_diag("a diagnostic on stderr");
    return tap_done();
}
