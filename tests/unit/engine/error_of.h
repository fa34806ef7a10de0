// Shared by the run option tests: the text of an InvalidArgument error.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "base/error.h"

namespace berth::engine {

// The error text of a failed result, or "" (with a test failure) when it succeeded.
template <typename T>
std::string error_of(const Result<T>& r) {
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) {
    return "";
  }
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << r.error().str();
  return r.error().str();
}

}  // namespace berth::engine
