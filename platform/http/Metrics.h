#pragma once
// Prometheus text-format metrics: request counts and a latency histogram per route, plus gauges
// that other subsystems register (pool size, in use, waiting).

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace atrium::http {

class Metrics {
public:
    void observe(const std::string& method, const std::string& route, int status, double seconds);
    /// A gauge read at scrape time.
    void addGauge(const std::string& name, const std::string& help, std::function<double()> read);
    std::string render() const;

private:
    static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,   0.25,   0.5,   1.0,  2.5};
    struct Series {
        std::map<int, std::uint64_t> byStatus;
        std::array<std::uint64_t, kBuckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum = 0;
    };
    struct Gauge {
        std::string name, help;
        std::function<double()> read;
    };
    mutable std::mutex _mutex;
    std::map<std::pair<std::string, std::string>, Series> _series;
    std::vector<Gauge> _gauges;
};

} // namespace atrium::http
