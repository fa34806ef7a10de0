// run_command: a helper program's stdin fed, its outputs collected, its exit status reported.
#include "base/command.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(RunCommand, FeedsStdinAndCollectsBothOutputsAndTheExitStatus) {
  auto r = run_command({"sh", "-c", "cat; echo oops >&2; exit 3"}, "hello\n");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_EQ(r->exit_code, 3);
}

TEST(RunCommand, ABigInputAndOutputDoNotDeadlock) {
  std::string big(3 << 20, 'x');  // more than a pipe holds, both ways
  auto r = run_command({"cat"}, big);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), kMaxCommandOutput) << "output is capped";
}

TEST(RunCommand, AMissingProgramExits127AndAKilledOne128PlusTheSignal) {
  auto missing = run_command({"berth-no-such-program"}, "");
  ASSERT_TRUE(missing) << missing.error().str();
  EXPECT_EQ(missing->exit_code, 127);
  auto killed = run_command({"sh", "-c", "kill -9 $$"}, "");
  ASSERT_TRUE(killed) << killed.error().str();
  EXPECT_EQ(killed->exit_code, 128 + 9);
}

TEST(RunCommand, AProgramThatIgnoresItsStdinStillFinishes) {
  auto r = run_command({"true"}, std::string(1 << 20, 'y'));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->exit_code, 0);
}

}  // namespace
}  // namespace berth
