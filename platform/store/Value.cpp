#include "store/Value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace atrium::store {

std::int64_t asInt(const Value& v, std::int64_t fallback) {
    if (auto i = std::get_if<std::int64_t>(&v)) return *i;
    if (auto d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
    if (auto s = std::get_if<std::string>(&v)) {
        std::int64_t out = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
        if (ec == std::errc() && p == s->data() + s->size()) return out;
        double d = 0;
        auto [p2, ec2] = std::from_chars(s->data(), s->data() + s->size(), d);
        if (ec2 == std::errc() && p2 != s->data()) return static_cast<std::int64_t>(d);
    }
    return fallback;
}

double asDouble(const Value& v, double fallback) {
    if (auto d = std::get_if<double>(&v)) return *d;
    if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (auto s = std::get_if<std::string>(&v)) {
        double out = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
        if (ec == std::errc() && p != s->data()) return out;
    }
    return fallback;
}

std::string asText(const Value& v) {
    if (auto s = std::get_if<std::string>(&v)) return *s;
    if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (auto d = std::get_if<double>(&v)) {
        char buf[32];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *d);
        return std::string(buf, p);
    }
    return {};
}

} // namespace atrium::store
