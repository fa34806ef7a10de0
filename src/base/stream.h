// Byte streams: the pipes that layers, blobs and archives flow through without being held in
// memory. Readers return 0 at the end; both report failures as Result errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/sha256.h"
#include "base/unique_fd.h"

namespace berth {

class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to len bytes into buf; 0 means the end of the stream. Blocks.
  virtual Result<size_t> read(void* buf, size_t len) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes all of len bytes or fails.
  virtual Result<void> write(const void* buf, size_t len) = 0;
};

// Reads a file descriptor it does not own.
class FdReader : public Reader {
 public:
  explicit FdReader(int fd) : fd_(fd) {}
  Result<size_t> read(void* buf, size_t len) override;

 private:
  int fd_;
};

// Writes to a file descriptor it does not own.
class FdWriter : public Writer {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  Result<void> write(const void* buf, size_t len) override;

 private:
  int fd_;
};

// Reads from memory it does not own.
class StringReader : public Reader {
 public:
  explicit StringReader(std::string_view data) : data_(data) {}
  Result<size_t> read(void* buf, size_t len) override;

 private:
  std::string_view data_;
};

// Appends to a string it does not own.
class StringWriter : public Writer {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  Result<void> write(const void* buf, size_t len) override {
    out_->append(static_cast<const char*>(buf), len);
    return {};
  }

 private:
  std::string* out_;
};

// Passes another reader through while hashing and counting what went by.
class HashingReader : public Reader {
 public:
  // With hash false it only counts (hex() is then the hash of nothing).
  explicit HashingReader(Reader* inner, bool hash = true) : inner_(inner), hashing_(hash) {}
  Result<size_t> read(void* buf, size_t len) override;
  std::string hex() const { return hash_.hex(); }
  int64_t count() const { return count_; }

 private:
  Reader* inner_;
  bool hashing_;
  Sha256 hash_;
  int64_t count_ = 0;
};

// Passes another reader through and copies every byte read to a writer (none when null).
class TeeReader : public Reader {
 public:
  TeeReader(Reader* inner, Writer* copy) : inner_(inner), copy_(copy) {}
  Result<size_t> read(void* buf, size_t len) override;

 private:
  Reader* inner_;
  Writer* copy_;
};

// Hashes and counts what is written, then passes it on (or drops it when next is null).
class HashingWriter : public Writer {
 public:
  explicit HashingWriter(Writer* next) : next_(next) {}
  Result<void> write(const void* buf, size_t len) override;
  std::string hex() const { return hash_.hex(); }
  int64_t count() const { return count_; }

 private:
  Writer* next_;
  Sha256 hash_;
  int64_t count_ = 0;
};

// Copies a reader to a writer until the end; returns the bytes copied.
Result<int64_t> copy_stream(Reader& from, Writer& to);

// Reads and discards the rest of a stream; returns the bytes discarded.
Result<int64_t> drain(Reader& from);

}  // namespace berth
