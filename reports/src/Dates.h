#pragma once
// Calendar arithmetic for periods, buckets and comparisons (proleptic Gregorian, UTC dates).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace atrium::reports::dates {

using Date = std::chrono::sys_days;

/// 'YYYY-MM-DD' (a longer datetime string is cut at the date); nullopt when invalid.
std::optional<Date> parse(const std::string& text);
std::string format(Date d);
Date today();
Date addMonths(Date d, int months); ///< clamps the day of month
Date addYears(Date d, int years);

enum class Grain { Day, Week, Month, Quarter, Year };
std::optional<Grain> parseGrain(const std::string& name);
std::string grainName(Grain g);
Date bucketStart(Date d, Grain g);
Date nextBucket(Date d, Grain g);
/// The label the UI shows: day/week 'YYYY-MM-DD', month 'YYYY-MM', quarter 'YYYY-Qn', year 'YYYY'.
std::string label(Date bucketStart, Grain g);
/// Bucket starts covering [from, to].
std::vector<Date> buckets(Date from, Date to, Grain g);
/// The [from, to] range of a label produced by label(); nullopt when it is not one.
std::optional<std::pair<Date, Date>> labelRange(const std::string& label, Grain g);
/// A sensible trend grain for a period: ≤ 31 days → day, ≤ 120 → week, ≤ 3 years → month, else quarter.
Grain defaultGrain(Date from, Date to);

struct Period {
    Date from, to; ///< inclusive
};
/// The period of the same length just before `p`.
Period previousPeriod(const Period& p);
/// `p` one year earlier.
Period lastYear(const Period& p);

} // namespace atrium::reports::dates
