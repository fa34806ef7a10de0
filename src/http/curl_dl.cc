// libcurl, loaded when first used. Linked normally, libcurl and the thirty libraries it needs
// (ldap, kerberos, ssh, idn2, nghttp2...) are loaded and relocated by every berth command, most
// of which never touch the network: that was 17 ms of a 28 ms `berth --version` here. So berth
// does not link libcurl; this file defines the libcurl functions berth calls, and each one
// forwards to the real function found with dlopen/dlsym on first use.
//
// The variadic setopt/getinfo functions forward their one argument with its real type, which
// libcurl encodes in the option number (CURLOPTTYPE_* ranges, CURLINFO_TYPEMASK).
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <mutex>
#include <string>

namespace {

struct Curl {
  void* lib = nullptr;
  std::string error;
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  void (*easy_reset)(CURL*) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
  CURLSH* (*share_init)() = nullptr;
  CURLSHcode (*share_setopt)(CURLSH*, CURLSHoption, ...) = nullptr;
  CURLSHcode (*share_cleanup)(CURLSH*) = nullptr;
};

template <typename F>
void bind(Curl& c, F& fn, const char* name) {
  fn = reinterpret_cast<F>(::dlsym(c.lib, name));
  if (fn == nullptr && c.error.empty()) {
    c.error = std::string("libcurl has no ") + name;
  }
}

// Every function or none: a libcurl missing one of them counts as not loaded.
const Curl& curl() {
  static Curl c;
  static std::once_flag once;
  std::call_once(once, [] {
    c.lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (c.lib == nullptr) {
      const char* e = ::dlerror();
      c.error = std::string("loading libcurl: ") + (e != nullptr ? e : "unknown error");
      return;
    }
    bind(c, c.global_init, "curl_global_init");
    bind(c, c.easy_init, "curl_easy_init");
    bind(c, c.easy_cleanup, "curl_easy_cleanup");
    bind(c, c.easy_reset, "curl_easy_reset");
    bind(c, c.easy_perform, "curl_easy_perform");
    bind(c, c.easy_setopt, "curl_easy_setopt");
    bind(c, c.easy_getinfo, "curl_easy_getinfo");
    bind(c, c.easy_strerror, "curl_easy_strerror");
    bind(c, c.slist_append, "curl_slist_append");
    bind(c, c.slist_free_all, "curl_slist_free_all");
    bind(c, c.share_init, "curl_share_init");
    bind(c, c.share_setopt, "curl_share_setopt");
    bind(c, c.share_cleanup, "curl_share_cleanup");
  });
  return c;
}

bool loaded() { return curl().error.empty(); }

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  return loaded() ? curl().global_init(flags) : CURLE_FAILED_INIT;
}

CURL* curl_easy_init() { return loaded() ? curl().easy_init() : nullptr; }

void curl_easy_cleanup(CURL* h) {
  if (loaded()) {
    curl().easy_cleanup(h);
  }
}

void curl_easy_reset(CURL* h) {
  if (loaded()) {
    curl().easy_reset(h);
  }
}

CURLcode curl_easy_perform(CURL* h) {
  return loaded() ? curl().easy_perform(h) : CURLE_FAILED_INIT;
}

CURLcode curl_easy_setopt(CURL* h, CURLoption option, ...) {
  if (!loaded()) {
    return CURLE_FAILED_INIT;
  }
  va_list ap;
  va_start(ap, option);
  CURLcode r;
  int o = static_cast<int>(option);
  if (o < CURLOPTTYPE_OBJECTPOINT) {
    r = curl().easy_setopt(h, option, va_arg(ap, long));
  } else if (o < CURLOPTTYPE_FUNCTIONPOINT || o >= CURLOPTTYPE_BLOB) {
    r = curl().easy_setopt(h, option, va_arg(ap, void*));
  } else if (o < CURLOPTTYPE_OFF_T) {
    r = curl().easy_setopt(h, option, va_arg(ap, void (*)()));
  } else {
    r = curl().easy_setopt(h, option, va_arg(ap, curl_off_t));
  }
  va_end(ap);
  return r;
}

CURLcode curl_easy_getinfo(CURL* h, CURLINFO info, ...) {
  if (!loaded()) {
    return CURLE_FAILED_INIT;
  }
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);  // every CURLINFO type is returned through a pointer
  va_end(ap);
  return curl().easy_getinfo(h, info, out);
}

const char* curl_easy_strerror(CURLcode code) {
  return loaded() ? curl().easy_strerror(code) : curl().error.c_str();
}

curl_slist* curl_slist_append(curl_slist* list, const char* s) {
  return loaded() ? curl().slist_append(list, s) : nullptr;
}

void curl_slist_free_all(curl_slist* list) {
  if (loaded()) {
    curl().slist_free_all(list);
  }
}

CURLSH* curl_share_init() { return loaded() ? curl().share_init() : nullptr; }

CURLSHcode curl_share_setopt(CURLSH* sh, CURLSHoption option, ...) {
  if (!loaded()) {
    return CURLSHE_NOT_BUILT_IN;
  }
  va_list ap;
  va_start(ap, option);
  CURLSHcode r;
  switch (option) {
    case CURLSHOPT_SHARE:
    case CURLSHOPT_UNSHARE:
      r = curl().share_setopt(sh, option, va_arg(ap, int));
      break;
    case CURLSHOPT_LOCKFUNC:
    case CURLSHOPT_UNLOCKFUNC:
      r = curl().share_setopt(sh, option, va_arg(ap, void (*)()));
      break;
    default:
      r = curl().share_setopt(sh, option, va_arg(ap, void*));
      break;
  }
  va_end(ap);
  return r;
}

CURLSHcode curl_share_cleanup(CURLSH* sh) {
  return loaded() ? curl().share_cleanup(sh) : CURLSHE_NOT_BUILT_IN;
}

}  // extern "C"
