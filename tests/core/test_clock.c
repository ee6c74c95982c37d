/* Tests for src/core/clock.c: the monotonic and wall clocks in seconds. */
#include <math.h>
#include <time.h>

#include "ml2chain/clock.h"
#include "test.h"

TEST(test_clock_mono__never_goes_back_and_measures_a_sleep) {
    double prev = m2c_clock_mono_s();
    for (int i = 0; i < 100000; i++) {
        double t = m2c_clock_mono_s();
        CHECK(t >= prev);
        prev = t;
    }
    double t0 = m2c_clock_mono_s();
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    double dt = m2c_clock_mono_s() - t0;
    CHECK(dt >= 0.02);
    CHECK(dt < 5.0);
}

TEST(test_clock_wall__is_unix_time_with_a_fraction) {
    time_t before = time(NULL);
    double w = m2c_clock_wall_s();
    time_t after = time(NULL);
    CHECK(w >= (double)before && w < (double)after + 1);
    /* sub-second precision: reads 1 ms apart do not all land on whole seconds */
    int fractional = 0;
    for (int i = 0; i < 5 && !fractional; i++) {
        struct timespec nap = {0, 1000 * 1000};
        nanosleep(&nap, NULL);
        double x = m2c_clock_wall_s();
        fractional = x != floor(x);
    }
    CHECK(fractional);
}

TEST_MAIN(T(test_clock_mono__never_goes_back_and_measures_a_sleep),
          T(test_clock_wall__is_unix_time_with_a_fraction))
