/* cp_clock.h — reading clocks. Only front doors and the daemon call these;
 * the engine is handed the time. */
#ifndef CP_CLOCK_H
#define CP_CLOCK_H

#include <stdint.h>

/** Wall-clock milliseconds since the Unix epoch (UTC). */
int64_t cp_clock_wall_ms(void);
/** Monotonic nanoseconds, for measuring durations. */
uint64_t cp_clock_mono_ns(void);

#endif
