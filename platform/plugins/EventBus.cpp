#include "plugins/EventBus.h"

#include <algorithm>
#include <stdexcept>

namespace atrium::plugins {
namespace {

// A subscriber publishing an event that triggers itself would recurse until the stack ends;
// a depth limit turns that bug into a logged failure.
thread_local int publishDepth = 0;
constexpr int kMaxPublishDepth = 8;

} // namespace

bool EventBus::validTopic(const std::string& topic) {
    if (topic.empty() || topic.size() > 200 || topic.front() == '.' || topic.back() == '.') return false;
    char previous = 0;
    for (char c : topic) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok || (c == '.' && previous == '.')) return false;
        previous = c;
    }
    return true;
}

bool EventBus::validPattern(const std::string& pattern) {
    if (pattern == "*") return true;
    if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
        return validTopic(pattern.substr(0, pattern.size() - 2));
    return validTopic(pattern);
}

bool EventBus::topicMatches(const std::string& pattern, const std::string& topic) {
    if (pattern == "*") return true;
    if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0) {
        const auto prefix = pattern.substr(0, pattern.size() - 1); // keep the dot
        return topic.size() > prefix.size() && topic.compare(0, prefix.size(), prefix) == 0;
    }
    return pattern == topic;
}

std::uint64_t EventBus::subscribe(std::string owner, std::string pattern, Subscriber subscriber) {
    if (!validPattern(pattern))
        throw std::invalid_argument("the event topic pattern \"" + pattern +
                                    "\" is not valid: use a topic like \"acme.invoice.paid\", a prefix like \"acme.*\", or \"*\"");
    if (!subscriber) throw std::invalid_argument("an event subscription needs a callback");
    std::lock_guard lock(_mutex);
    const auto token = _next++;
    _entries.push_back(std::make_shared<const Entry>(Entry{token, std::move(owner), std::move(pattern), std::move(subscriber)}));
    return token;
}

void EventBus::unsubscribe(std::uint64_t token) {
    std::lock_guard lock(_mutex);
    std::erase_if(_entries, [&](const auto& e) { return e->token == token; });
}

std::size_t EventBus::unsubscribeOwner(const std::string& owner) {
    std::lock_guard lock(_mutex);
    return std::erase_if(_entries, [&](const auto& e) { return e->owner == owner; });
}

EventBus::PublishResult EventBus::publish(const std::string& topic, const std::string& payload, store::Connection* connection) {
    if (!validTopic(topic)) throw std::invalid_argument("the event topic \"" + topic + "\" is not valid");
    PublishResult result;
    std::vector<std::shared_ptr<const Entry>> targets;
    {
        // Snapshot, so subscribers may subscribe/publish without deadlocking on the bus.
        std::lock_guard lock(_mutex);
        for (const auto& e : _entries)
            if (topicMatches(e->pattern, topic)) targets.push_back(e);
    }
    if (targets.empty()) return result;
    if (publishDepth >= kMaxPublishDepth) {
        if (_onFailure)
            _onFailure("core", topic, "events nested more than " + std::to_string(kMaxPublishDepth) +
                                          " deep (a subscriber keeps publishing what it listens to); delivery stopped");
        result.failed = targets.size();
        return result;
    }
    ++publishDepth;
    struct DepthGuard {
        ~DepthGuard() { --publishDepth; }
    } depthGuard;

    for (const auto& e : targets) {
        std::string savepoint;
        const bool isolate = connection != nullptr && connection->inTransaction();
        try {
            if (isolate) {
                savepoint = "atrium_ev_" + std::to_string(++_savepoints);
                connection->exec("SAVEPOINT " + savepoint);
            }
            e->subscriber(topic, payload, connection);
            if (isolate) connection->exec("RELEASE SAVEPOINT " + savepoint);
            ++result.delivered;
        } catch (const std::exception& ex) {
            ++result.failed;
            if (isolate && !savepoint.empty()) {
                try {
                    connection->exec("ROLLBACK TO SAVEPOINT " + savepoint);
                    connection->exec("RELEASE SAVEPOINT " + savepoint);
                } catch (...) {
                    // The connection is unusable; the publisher's next statement reports it.
                }
            }
            if (_onFailure) _onFailure(e->owner, topic, ex.what());
        } catch (...) {
            ++result.failed;
            if (isolate && !savepoint.empty()) {
                try {
                    connection->exec("ROLLBACK TO SAVEPOINT " + savepoint);
                    connection->exec("RELEASE SAVEPOINT " + savepoint);
                } catch (...) {
                }
            }
            if (_onFailure) _onFailure(e->owner, topic, "an unknown exception");
        }
    }
    return result;
}

} // namespace atrium::plugins
