#include "Dates.h"

#include <cstdio>

namespace atrium::reports::dates {

using namespace std::chrono;

std::optional<Date> parse(const std::string& text) {
    if (text.size() < 10) return std::nullopt;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
    if (text[4] != '-' || text[7] != '-') return std::nullopt;
    if (text.size() > 10 && text[10] != ' ' && text[10] != 'T') return std::nullopt;
    const int y = std::stoi(text.substr(0, 4));
    const unsigned m = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
    const unsigned d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
    year_month_day ymd{year{y}, month{m}, day{d}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd};
}

std::string format(Date d) {
    year_month_day ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

Date today() { return floor<days>(system_clock::now()); }

Date addMonths(Date d, int months) {
    year_month_day ymd{d};
    year_month ym = year_month{ymd.year(), ymd.month()} + std::chrono::months{months};
    auto last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
    auto dd = ymd.day() > last ? last : ymd.day();
    return sys_days{year_month_day{ym.year(), ym.month(), dd}};
}

Date addYears(Date d, int years) { return addMonths(d, years * 12); }

std::optional<Grain> parseGrain(const std::string& n) {
    if (n == "day") return Grain::Day;
    if (n == "week") return Grain::Week;
    if (n == "month") return Grain::Month;
    if (n == "quarter") return Grain::Quarter;
    if (n == "year") return Grain::Year;
    return std::nullopt;
}

std::string grainName(Grain g) {
    switch (g) {
    case Grain::Day: return "day";
    case Grain::Week: return "week";
    case Grain::Month: return "month";
    case Grain::Quarter: return "quarter";
    case Grain::Year: return "year";
    }
    return "month";
}

Date bucketStart(Date d, Grain g) {
    year_month_day ymd{d};
    switch (g) {
    case Grain::Day: return d;
    case Grain::Week: {
        // ISO weeks start on Monday (matches Dialect::dateBucket).
        weekday wd{d};
        const unsigned back = (wd.c_encoding() + 6) % 7;
        return d - days{back};
    }
    case Grain::Month: return sys_days{ymd.year() / ymd.month() / 1};
    case Grain::Quarter: {
        const unsigned m = (static_cast<unsigned>(ymd.month()) - 1) / 3 * 3 + 1;
        return sys_days{ymd.year() / month{m} / 1};
    }
    case Grain::Year: return sys_days{ymd.year() / January / 1};
    }
    return d;
}

Date nextBucket(Date d, Grain g) {
    switch (g) {
    case Grain::Day: return d + days{1};
    case Grain::Week: return d + days{7};
    case Grain::Month: return addMonths(d, 1);
    case Grain::Quarter: return addMonths(d, 3);
    case Grain::Year: return addMonths(d, 12);
    }
    return d + days{1};
}

std::string label(Date b, Grain g) {
    const auto s = format(b);
    switch (g) {
    case Grain::Day:
    case Grain::Week: return s;
    case Grain::Month: return s.substr(0, 7);
    case Grain::Quarter: {
        const int m = std::stoi(s.substr(5, 2));
        return s.substr(0, 4) + "-Q" + std::to_string((m - 1) / 3 + 1);
    }
    case Grain::Year: return s.substr(0, 4);
    }
    return s;
}

std::vector<Date> buckets(Date from, Date to, Grain g) {
    std::vector<Date> out;
    for (Date b = bucketStart(from, g); b <= to && out.size() < 5000; b = nextBucket(b, g)) out.push_back(b);
    return out;
}

std::optional<std::pair<Date, Date>> labelRange(const std::string& l, Grain g) {
    std::optional<Date> start;
    switch (g) {
    case Grain::Day:
    case Grain::Week: start = parse(l); break;
    case Grain::Month:
        if (l.size() == 7) start = parse(l + "-01");
        break;
    case Grain::Quarter:
        if (l.size() == 7 && l[4] == '-' && l[5] == 'Q' && l[6] >= '1' && l[6] <= '4') {
            const int q = l[6] - '0';
            char buf[8];
            std::snprintf(buf, sizeof buf, "-%02d-01", (q - 1) * 3 + 1);
            start = parse(l.substr(0, 4) + buf);
        }
        break;
    case Grain::Year:
        if (l.size() == 4) start = parse(l + "-01-01");
        break;
    }
    if (!start || bucketStart(*start, g) != *start) return std::nullopt;
    return std::make_pair(*start, nextBucket(*start, g) - days{1});
}

Grain defaultGrain(Date from, Date to) {
    const auto n = (to - from).count() + 1;
    if (n <= 31) return Grain::Day;
    if (n <= 120) return Grain::Week;
    if (n <= 366 * 3) return Grain::Month;
    return Grain::Quarter;
}

Period previousPeriod(const Period& p) {
    // Whole calendar months shift by months (March → February keeps "the month before");
    // other ranges shift by their length in days.
    year_month_day a{p.from}, b{p.to + days{1}};
    if (a.day() == day{1} && b.day() == day{1}) {
        const int months = (static_cast<int>(b.year()) - static_cast<int>(a.year())) * 12 +
                           (static_cast<int>(static_cast<unsigned>(b.month())) - static_cast<int>(static_cast<unsigned>(a.month())));
        if (months > 0) return {addMonths(p.from, -months), p.from - days{1}};
    }
    const auto len = (p.to - p.from) + days{1};
    return {p.from - len, p.from - days{1}};
}

Period lastYear(const Period& p) { return {addYears(p.from, -1), addYears(p.to, -1)}; }

} // namespace atrium::reports::dates
