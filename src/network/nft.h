// nftables through libnftables, loaded when first used: linked, it and the libraries it needs
// (libnftnl, libmnl, jansson, gmp, xtables) would be loaded by every berth command. Commands are
// nft(8) script text; each run is one kernel transaction (all of it happens, or none).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::network {

// Runs an nft script in the calling thread's network namespace; returns what nft prints (for
// list commands). Unavailable when libnftables.so.1 cannot be loaded; otherwise the error is
// nft's own message, on one line, with `what` as context.
Result<std::string> run_nft(std::string_view script, std::string_view what);

}  // namespace berth::network
