#include "http/Metrics.h"

#include <sstream>

namespace atrium::http {

void Metrics::observe(const std::string& method, const std::string& route, int status, double seconds) {
    std::lock_guard lock(_mutex);
    auto& s = _series[{method, route}];
    ++s.byStatus[status];
    ++s.count;
    s.sum += seconds;
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
        if (seconds <= kBuckets[i]) ++s.buckets[i];
}

void Metrics::addGauge(const std::string& name, const std::string& help, std::function<double()> read) {
    std::lock_guard lock(_mutex);
    _gauges.push_back({name, help, std::move(read)});
}

namespace {
std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}
} // namespace

std::string Metrics::render() const {
    std::ostringstream o;
    std::lock_guard lock(_mutex);
    o << "# HELP atrium_http_requests_total HTTP requests by route and status.\n"
         "# TYPE atrium_http_requests_total counter\n";
    for (const auto& [key, s] : _series)
        for (const auto& [status, n] : s.byStatus)
            o << "atrium_http_requests_total{method=\"" << key.first << "\",route=\"" << label(key.second)
              << "\",status=\"" << status << "\"} " << n << "\n";
    o << "# HELP atrium_http_request_duration_seconds Request latency by route.\n"
         "# TYPE atrium_http_request_duration_seconds histogram\n";
    for (const auto& [key, s] : _series) {
        const std::string l = "method=\"" + key.first + "\",route=\"" + label(key.second) + "\"";
        for (std::size_t i = 0; i < kBuckets.size(); ++i)
            o << "atrium_http_request_duration_seconds_bucket{" << l << ",le=\"" << kBuckets[i] << "\"} "
              << s.buckets[i] << "\n";
        o << "atrium_http_request_duration_seconds_bucket{" << l << ",le=\"+Inf\"} " << s.count << "\n";
        o << "atrium_http_request_duration_seconds_sum{" << l << "} " << s.sum << "\n";
        o << "atrium_http_request_duration_seconds_count{" << l << "} " << s.count << "\n";
    }
    for (const auto& g : _gauges) {
        o << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name << " gauge\n";
        double v = 0;
        try {
            v = g.read();
        } catch (...) {
        }
        o << g.name << " " << v << "\n";
    }
    return o.str();
}

} // namespace atrium::http
