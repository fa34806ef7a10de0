#include "base/stream.h"

#include <cstring>
#include <vector>

#include "base/fs.h"

namespace berth {

Result<size_t> FdReader::read(void* buf, size_t len) { return read_some(fd_, buf, len); }

Result<void> FdWriter::write(const void* buf, size_t len) { return write_all(fd_, buf, len); }

Result<size_t> StringReader::read(void* buf, size_t len) {
  size_t n = std::min(len, data_.size());
  std::memcpy(buf, data_.data(), n);
  data_.remove_prefix(n);
  return n;
}

Result<size_t> HashingReader::read(void* buf, size_t len) {
  size_t n = BERTH_TRY(inner_->read(buf, len));
  if (hashing_) {
    hash_.update(buf, n);
  }
  count_ += static_cast<int64_t>(n);
  return n;
}

Result<size_t> TeeReader::read(void* buf, size_t len) {
  size_t n = BERTH_TRY(inner_->read(buf, len));
  if (n > 0 && copy_ != nullptr) {
    BERTH_CHECK(copy_->write(buf, n));
  }
  return n;
}

Result<void> HashingWriter::write(const void* buf, size_t len) {
  hash_.update(buf, len);
  count_ += static_cast<int64_t>(len);
  if (next_ != nullptr) {
    return next_->write(buf, len);
  }
  return {};
}

Result<int64_t> copy_stream(Reader& from, Writer& to) {
  std::vector<char> buf(1 << 20);
  int64_t total = 0;
  while (true) {
    size_t n = BERTH_TRY(from.read(buf.data(), buf.size()));
    if (n == 0) {
      return total;
    }
    BERTH_CHECK(to.write(buf.data(), n));
    total += static_cast<int64_t>(n);
  }
}

Result<int64_t> drain(Reader& from) {
  std::vector<char> buf(1 << 16);
  int64_t total = 0;
  while (true) {
    size_t n = BERTH_TRY(from.read(buf.data(), buf.size()));
    if (n == 0) {
      return total;
    }
    total += static_cast<int64_t>(n);
  }
}

}  // namespace berth
