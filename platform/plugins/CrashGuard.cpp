#include "plugins/CrashGuard.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace atrium::plugins {

namespace {

constexpr std::size_t kPlugin = 128;
constexpr std::size_t kWhat = 384;

// Plain arrays with static TLS: readable from a signal handler without allocation.
thread_local char tPlugin[kPlugin];
thread_local char tWhat[kWhat];

int gCrashFd = -1;
char gCrashPath[1024];
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction gPrevious[sizeof kSignals / sizeof kSignals[0]];
bool gInstalled = false;
volatile sig_atomic_t gHandling = 0;

void copyText(char* dst, std::size_t size, const char* src) {
    std::size_t i = 0;
    for (; src && src[i] && i + 1 < size; ++i) dst[i] = (src[i] == '\t' || src[i] == '\n') ? ' ' : src[i];
    dst[i] = '\0';
}

const char* signalName(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    }
    return "SIGNAL";
}

// ---- async-signal-safe output: a fixed buffer, write(2) only --------------------------------

struct Line {
    char text[1200];
    std::size_t size = 0;
    void add(const char* s) {
        while (s && *s && size + 1 < sizeof text) text[size++] = *s++;
    }
    void add(long long n) {
        char digits[24];
        int k = 0;
        if (n < 0) add("-"), n = -n;
        do digits[k++] = static_cast<char>('0' + n % 10), n /= 10;
        while (n > 0 && k < 24);
        while (k > 0 && size + 1 < sizeof text) text[size++] = digits[--k];
    }
};

void writeAll(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const auto w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

void onFatalSignal(int sig) {
    if (!gHandling) {
        gHandling = 1;
        const long long now = static_cast<long long>(::time(nullptr));
        const bool inPlugin = tPlugin[0] != '\0';
        // The record the next start reads: one tab-separated line.
        if (gCrashFd >= 0) {
            Line rec;
            rec.add("atrium-crash\t");
            rec.add(signalName(sig));
            rec.add("\t");
            rec.add(now);
            rec.add("\t");
            rec.add(tPlugin);
            rec.add("\t");
            rec.add(tWhat);
            rec.add("\n");
            writeAll(gCrashFd, rec.text, rec.size);
            ::fsync(gCrashFd);
        }
        Line msg;
        msg.add("atrium: fatal signal ");
        msg.add(signalName(sig));
        if (inPlugin) {
            msg.add(" in plugin ");
            msg.add(tPlugin);
            msg.add(" during ");
            msg.add(tWhat);
        } else {
            msg.add(" outside any plugin call");
        }
        msg.add("; the host stops (recorded in ");
        msg.add(gCrashPath);
        msg.add(")\n");
        writeAll(STDERR_FILENO, msg.text, msg.size);
    }
    // Default action: the process dies by this signal, with a core dump where enabled.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
}

std::string utcText(long long t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

} // namespace

PluginCallScope::PluginCallScope(const std::string& plugin, const std::string& what) {
    std::memcpy(_savedPlugin, tPlugin, kPlugin);
    std::memcpy(_savedWhat, tWhat, kWhat);
    copyText(tWhat, kWhat, what.c_str());
    copyText(tPlugin, kPlugin, plugin.c_str());
}

PluginCallScope::~PluginCallScope() {
    std::memcpy(tPlugin, _savedPlugin, kPlugin);
    std::memcpy(tWhat, _savedWhat, kWhat);
}

std::string currentPluginCall() {
    if (!tPlugin[0]) return {};
    return std::string(tPlugin) + ": " + tWhat;
}

void installCrashHandler(const std::filesystem::path& crashFile) {
    std::error_code ec;
    if (crashFile.has_parent_path()) std::filesystem::create_directories(crashFile.parent_path(), ec);
    const int fd = ::open(crashFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot open the crash file " + crashFile.string() + ": " + std::strerror(errno) +
                                 "; set atrium.crash_dir to a writable directory");
    const int old = gCrashFd;
    copyText(gCrashPath, sizeof gCrashPath, crashFile.c_str());
    gCrashFd = fd;
    if (old >= 0) ::close(old);
    if (gInstalled) return;
    for (std::size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i) {
        struct sigaction sa {};
        sa.sa_handler = onFatalSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_NODEFER; // the handler resets to the default and re-raises
        ::sigaction(kSignals[i], &sa, &gPrevious[i]);
    }
    gInstalled = true;
}

void uninstallCrashHandler(bool clean) {
    if (gInstalled) {
        for (std::size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i) ::sigaction(kSignals[i], &gPrevious[i], nullptr);
        gInstalled = false;
    }
    if (gCrashFd >= 0) {
        ::close(gCrashFd);
        gCrashFd = -1;
        if (clean) ::unlink(gCrashPath);
    }
}

std::optional<CrashReport> readCrashFile(const std::filesystem::path& crashFile) {
    std::ifstream in(crashFile);
    if (!in) return std::nullopt;
    std::string line;
    std::getline(in, line);
    in.close();
    std::error_code ec;
    std::filesystem::remove(crashFile, ec);
    std::vector<std::string> parts;
    std::stringstream ss(line);
    for (std::string p; std::getline(ss, p, '\t');) parts.push_back(p);
    if (parts.size() < 3 || parts[0] != "atrium-crash") return std::nullopt;
    CrashReport r;
    r.signal = parts[1];
    try {
        r.unixTime = std::stoll(parts[2]);
    } catch (...) {
        r.unixTime = 0;
    }
    r.at = utcText(r.unixTime);
    if (parts.size() > 3) r.plugin = parts[3];
    if (parts.size() > 4) r.what = parts[4];
    return r;
}

} // namespace atrium::plugins
