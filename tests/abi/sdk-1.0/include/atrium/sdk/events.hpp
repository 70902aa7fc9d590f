#pragma once
// Events between plugins and the core:
//
//     events.subscribe("sales.opportunity.won", [](const Event& e, Db& db) {
//         db.execute("INSERT INTO hello_cheers (opportunity_id) VALUES (?)", e.payload["id"].get<std::int64_t>());
//     });
//     events.publish(db, "hello.greeting.created", {{"id", id}});
//
// Subscribers run synchronously in the publisher's transaction (inside a savepoint), so a
// follow-up write commits or rolls back with the write that caused it.

#include <atrium/sdk/db.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::sdk {

struct Event {
    std::string_view topic;
    const Json& payload;
};

class Events {
public:
    using Handler = std::function<void(const Event&, Db&)>;

    explicit Events(const atrium_host_api* api) : _api(api) {}
    Events(const Events&) = delete;
    Events& operator=(const Events&) = delete;

    /// Publishes on `topic` (must start with "<plugin id>.") with no transaction to join:
    /// subscribers use their own connections.
    void publish(std::string_view topic, const Json& payload) const { publishOn(nullptr, topic, payload); }
    /// Publishes inside `db`'s transaction: subscribers write in it too.
    void publish(const Db& db, std::string_view topic, const Json& payload) const { publishOn(db.handle(), topic, payload); }

    /// Subscribes during init to a topic, a "prefix.*" or "*". A handler that throws is logged
    /// by the host and its writes are rolled back; the publisher is not affected.
    void subscribe(std::string_view pattern, Handler handler) {
        auto entry = std::make_unique<Entry>(Entry{_api, std::move(handler)});
        const std::string p(pattern);
        detail::ErrorBuffer eb;
        detail::check(_api->event_subscribe(_api->host, p.c_str(), &Events::trampoline, entry.get(), eb.get()), eb);
        _entries.push_back(std::move(entry));
    }

private:
    struct Entry {
        const atrium_host_api* api;
        Handler handler;
    };

    void publishOn(atrium_db* db, std::string_view topic, const Json& payload) const {
        const std::string t(topic);
        const std::string body = payload.dump(-1, ' ', false, Json::error_handler_t::replace);
        detail::ErrorBuffer eb;
        detail::check(_api->event_publish(_api->host, db, t.c_str(), body.data(), body.size(), eb.get()), eb);
    }

    static atrium_status trampoline(void* userData, atrium_db* db, const char* topic, const char* payload, size_t payloadSize,
                                    atrium_error* error) noexcept {
        auto* entry = static_cast<Entry*>(userData);
        return detail::boundary(error, [&]() -> atrium_status {
            const Json body = Json::parse(std::string_view(payload, payloadSize));
            const Event event{topic, body};
            Db handle(entry->api, db);
            entry->handler(event, handle);
            return ATRIUM_OK;
        });
    }

    const atrium_host_api* _api;
    std::vector<std::unique_ptr<Entry>> _entries;
};

} // namespace atrium::sdk
