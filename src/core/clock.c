/* clock.c: the monotonic and wall clocks as seconds; see clock.h. */
#include "ml2chain/clock.h"

#include <time.h>

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double m2c_clock_mono_s(void) {
    return clock_s(CLOCK_MONOTONIC);
}

double m2c_clock_wall_s(void) {
    return clock_s(CLOCK_REALTIME);
}
