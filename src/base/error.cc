#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace berth {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kConflict:
      return "conflict";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kIo:
      return "i/o error";
    case Code::kCorrupt:
      return "corrupt";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string Error::str() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  if (errno_ != 0) {
    out += ": ";
    out += std::strerror(errno_);
  }
  return out;
}

Code code_from_errno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Code::kNotFound;
    case EEXIST:
    case ENOTEMPTY:
    case EBUSY:
      return Code::kConflict;
    case EACCES:
    case EPERM:
      return Code::kPermissionDenied;
    case EINVAL:
      return Code::kInvalidArgument;
    case ENOSYS:
    case EOPNOTSUPP:
      return Code::kUnsupported;
    default:
      return Code::kIo;
  }
}

tl::unexpected<Error> fail_errno(std::string message, int err) {
  return tl::unexpected<Error>(Error(code_from_errno(err), std::move(message), err));
}

tl::unexpected<Error> fail_errno(std::string message) {
  return fail_errno(std::move(message), errno);
}

}  // namespace berth
