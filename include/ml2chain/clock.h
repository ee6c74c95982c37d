/* clock.h: the two clocks the toolkit reads, as seconds in a double. The monotonic one measures
 * intervals (timeouts, back-off, commit groups, rates) and never jumps; the wall one stamps
 * what must stay meaningful across restarts (a store's sent and seen times). Thread-safe. */
#ifndef ML2CHAIN_CLOCK_H
#define ML2CHAIN_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean something. */
double m2c_clock_mono_s(void);

/* Seconds since the Unix epoch (CLOCK_REALTIME), with sub-second precision. */
double m2c_clock_wall_s(void);

#endif
