// The baseline for bench/http/run: a bare Poco HTTPServer answering the same account JSON
// from memory, with the same thread settings as atrium. The gap between the two is what
// routing, authentication, scope checks and the database cost.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <iostream>
#include <thread>

namespace {
std::string body;

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res) override {
        res.setContentType("application/json; charset=utf-8");
        res.setContentLength64(body.size());
        res.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    }
};
class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler; }
};
} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: bench_bare_poco_server PORT JSON_FILE_OR_TEXT\n";
        return 2;
    }
    body = argv[2];
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(std::stoi(argv[1]))), true, false);
    socket.listen(256);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(10000);
    Poco::ThreadPool pool(4, 36);
    Poco::Net::HTTPServer server(new Factory, pool, socket, params);
    server.start();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
    return 0;
}
