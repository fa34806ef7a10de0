#include "network/nft.h"

#include <dlfcn.h>

#include <mutex>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::network {

namespace {

struct nft_ctx;

// The six functions berth uses, from libnftables.h (loaded, not linked).
struct Lib {
  std::string error;
  nft_ctx* (*ctx_new)(uint32_t) = nullptr;
  void (*ctx_free)(nft_ctx*) = nullptr;
  int (*buffer_output)(nft_ctx*) = nullptr;
  int (*buffer_error)(nft_ctx*) = nullptr;
  const char* (*output_buffer)(nft_ctx*) = nullptr;
  const char* (*error_buffer)(nft_ctx*) = nullptr;
  int (*run)(nft_ctx*, const char*) = nullptr;
};

template <typename F>
void find(void* lib, Lib& l, F& fn, const char* name) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
  if (fn == nullptr && l.error.empty()) {
    l.error = fmt::format("libnftables.so.1 has no {}", name);
  }
}

const Lib& lib() {
  static Lib l;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* e = ::dlerror();
      l.error = fmt::format("loading libnftables (Debian package libnftables1): {}",
                            e != nullptr ? e : "not found");
      return;
    }
    find(h, l, l.ctx_new, "nft_ctx_new");
    find(h, l, l.ctx_free, "nft_ctx_free");
    find(h, l, l.buffer_output, "nft_ctx_buffer_output");
    find(h, l, l.buffer_error, "nft_ctx_buffer_error");
    find(h, l, l.output_buffer, "nft_ctx_get_output_buffer");
    find(h, l, l.error_buffer, "nft_ctx_get_error_buffer");
    find(h, l, l.run, "nft_run_cmd_from_buffer");
  });
  return l;
}

// nft's error text: "Error: …" lines followed by the offending input and carets; the first
// line says what was wrong.
std::string first_error_line(const char* text) {
  std::string_view t = text != nullptr ? text : "";
  for (auto line : split(t, '\n')) {
    std::string_view l = trim(line);
    if (!l.empty()) {
      return std::string(l);
    }
  }
  return "nft failed";
}

}  // namespace

Result<std::string> run_nft(std::string_view script, std::string_view what) {
  const Lib& l = lib();
  if (!l.error.empty()) {
    return fail(Code::kUnavailable, fmt::format("{}: {}", what, l.error));
  }
  nft_ctx* ctx = l.ctx_new(0);
  if (ctx == nullptr) {
    return fail(Code::kUnavailable, fmt::format("{}: nft_ctx_new failed", what));
  }
  l.buffer_output(ctx);
  l.buffer_error(ctx);
  std::string text(script);
  int rc = l.run(ctx, text.c_str());
  const char* printed = l.output_buffer(ctx);  // each call hands the buffer over and empties it
  std::string out = printed != nullptr ? printed : "";
  std::string err = first_error_line(l.error_buffer(ctx));
  l.ctx_free(ctx);
  if (rc != 0) {
    return fail(Code::kUnavailable, fmt::format("{}: {}", what, err));
  }
  return out;
}

}  // namespace berth::network
