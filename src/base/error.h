// Error and Result: the one error convention of berth (DESIGN.md "Errors").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace berth {

enum class Code {
  kInvalidArgument,
  kNotFound,
  kConflict,
  kPermissionDenied,
  kUnavailable,
  kIo,
  kCorrupt,
  kUnsupported,
  kInternal,
};

std::string_view code_name(Code code);

// An error: a code, the errno that caused it (0 if none), a message and a chain of context
// added by callers on the way out. It prints on one line, outermost context first:
//   "loading image.tar: reading manifest.json: unexpected end of input".
class Error {
 public:
  Error(Code code, std::string message, int err = 0)
      : code_(code), errno_(err), message_(std::move(message)) {}

  Code code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return message_; }

  // Adds an outer context ("while doing X"); returns *this for chaining.
  Error& context(std::string what) & {
    context_.push_back(std::move(what));
    return *this;
  }
  Error&& context(std::string what) && {
    context_.push_back(std::move(what));
    return std::move(*this);
  }

  // The one-line form: contexts outermost first, then the message, then strerror(errno).
  std::string str() const;

 private:
  Code code_;
  int errno_;
  std::string message_;
  std::vector<std::string> context_;  // innermost first
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Code code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

// An error from errno: the code follows errno (ENOENT → NotFound, EEXIST → Conflict,
// EACCES/EPERM → PermissionDenied, else Io).
tl::unexpected<Error> fail_errno(std::string message, int err);
tl::unexpected<Error> fail_errno(std::string message);

Code code_from_errno(int err);

// Adds context to the error of a result, if any.
template <typename T>
Result<T> with_context(Result<T>&& r, std::string what) {
  if (!r) {
    r.error().context(std::move(what));
  }
  return std::move(r);
}

}  // namespace berth

// BERTH_TRY(expr): evaluates a Result; on error returns it from the enclosing function, else
// yields the value. BERTH_TRY_CTX adds a context string first. BERTH_CHECK is for Result<void>.
#define BERTH_TRY(expr)                                       \
  ({                                                          \
    auto&& berth_try_r_ = (expr);                             \
    if (!berth_try_r_) {                                      \
      return tl::unexpected(std::move(berth_try_r_).error()); \
    }                                                         \
    std::move(*berth_try_r_);                                 \
  })

#define BERTH_TRY_CTX(expr, ctx)                                           \
  ({                                                                       \
    auto&& berth_try_r_ = (expr);                                          \
    if (!berth_try_r_) {                                                   \
      return tl::unexpected(std::move(berth_try_r_).error().context(ctx)); \
    }                                                                      \
    std::move(*berth_try_r_);                                              \
  })

#define BERTH_CHECK(expr)                                       \
  do {                                                          \
    auto&& berth_check_r_ = (expr);                             \
    if (!berth_check_r_) {                                      \
      return tl::unexpected(std::move(berth_check_r_).error()); \
    }                                                           \
  } while (0)

#define BERTH_CHECK_CTX(expr, ctx)                                           \
  do {                                                                       \
    auto&& berth_check_r_ = (expr);                                          \
    if (!berth_check_r_) {                                                   \
      return tl::unexpected(std::move(berth_check_r_).error().context(ctx)); \
    }                                                                        \
  } while (0)
