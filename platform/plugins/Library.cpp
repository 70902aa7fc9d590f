// Boost.DLL on std::filesystem (nothing to link). atrium_core also defines this for every
// translation unit, which keeps the Boost.DLL types identical wherever they are seen.
#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS 1
#endif
#include "plugins/Library.h"

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

#include <mutex>
#include <vector>

namespace atrium::plugins::detail {
namespace {

std::mutex& registryMutex() {
    static std::mutex m;
    return m;
}

/// Intentionally leaked: destroying it at exit would unmap libraries whose static destructors
/// or thread-locals may still run afterwards.
std::vector<boost::dll::shared_library>& registry() {
    static auto* libraries = new std::vector<boost::dll::shared_library>();
    return *libraries;
}

} // namespace

MappedLibrary mapLibrary(const std::filesystem::path& path, const char* symbol) {
    MappedLibrary result;
    std::lock_guard lock(registryMutex());
    std::error_code ec;
    boost::dll::shared_library library(path, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec || !library.is_loaded()) {
        // Boost.DLL clears dlerror() and reports only "bad file descriptor"; asking the loader
        // again (it fails the same way, without side effects) recovers the real cause, e.g.
        // "undefined symbol: …" or "wrong ELF class".
        if (void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
            ::dlclose(h); // unreachable in practice; keep the reference count balanced
            result.error = ec ? ec.message() : "the library could not be mapped";
        } else {
            const char* why = ::dlerror();
            result.error = why ? why : (ec ? ec.message() : "the library could not be mapped");
        }
        return result;
    }
    result.loaded = true;
    if (library.has(symbol)) result.entry = reinterpret_cast<void*>(&library.get<void()>(symbol));
    registry().push_back(std::move(library));
    return result;
}

bool isMapped(const std::filesystem::path& path) {
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (!h) return false;
    ::dlclose(h); // balances the NOLOAD reference; the library stays mapped
    return true;
}

} // namespace atrium::plugins::detail
