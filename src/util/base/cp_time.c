/* cp_time.c — RFC 3339 and durations (see cp_time.h). */
#include "util/base/cp_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Howard Hinnant's civil-date algorithms. */
int64_t cp_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void cp__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t cp_time_format(int64_t ms, char *buf) {
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int msec = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int sod = (int)(secs - days * 86400);
    int64_t y;
    unsigned mo, d;
    cp__civil_from_days(days, &y, &mo, &d);
    int n;
    if (msec)
        n = snprintf(buf, CP_TIME_STRLEN, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo,
                     d, sod / 3600, sod / 60 % 60, sod % 60, msec);
    else
        n = snprintf(buf, CP_TIME_STRLEN, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, mo, d,
                     sod / 3600, sod / 60 % 60, sod % 60);
    return n > 0 ? (size_t)n : 0;
}

static bool cp__digits(const char *s, size_t n, int *out) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool cp_time_parse(const char *s, size_t len, int64_t *out) {
    int y, mo, d, h, mi, se;
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return false;
    if (!cp__digits(s, 4, &y) || !cp__digits(s + 5, 2, &mo) || !cp__digits(s + 8, 2, &d) ||
        !cp__digits(s + 11, 2, &h) || !cp__digits(s + 14, 2, &mi) || !cp__digits(s + 17, 2, &se))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return false;
    size_t i = 19;
    int msec = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            msec += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return false;
    }
    int offset_min = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (len - i < 6 || s[i + 3] != ':' || !cp__digits(s + i + 1, 2, &oh) ||
            !cp__digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;
    }
    if (i != len)
        return false;
    if (se == 60)
        se = 59; /* leap second: clamp, we do not model them */
    int64_t days = cp_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)offset_min * 60;
    *out = secs * 1000 + msec;
    return true;
}

bool cp_duration_parse(const char *s, int64_t *out_ms) {
    if (s == NULL || *s == '\0')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0 || v != v)
        return false;
    double mult;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else if (strcmp(end, "d") == 0)
        mult = 86400000;
    else
        return false;
    double ms = v * mult;
    if (ms > 9.0e15)
        return false;
    *out_ms = (int64_t)(ms + 0.5);
    return true;
}
