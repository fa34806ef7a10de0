// Go's texts that docker's messages carry, as berth writes them.
#include <gtest/gtest.h>

#include "engine/run_options_go.h"

namespace berth::engine::go {
namespace {

TEST(GoDuration, PrintsAsTimeDurationStringDoes) {
  EXPECT_EQ(duration_string(0), "0s");
  EXPECT_EQ(duration_string(1), "1ns");
  EXPECT_EQ(duration_string(1500), "1.5\u00b5s");
  EXPECT_EQ(duration_string(500'000'000), "500ms");
  EXPECT_EQ(duration_string(1'250'000), "1.25ms");
  EXPECT_EQ(duration_string(1'000'000'000), "1s");
  EXPECT_EQ(duration_string(2'500'000'000), "2.5s");
  EXPECT_EQ(duration_string(30'000'000'000), "30s");
  EXPECT_EQ(duration_string(90'000'000'000), "1m30s");
  EXPECT_EQ(duration_string(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(duration_string(-1'000'000'000), "-1s");
}

}  // namespace
}  // namespace berth::engine::go
