#include "store/store.h"

#include "base/fs.h"

namespace berth::store {

Result<std::unique_ptr<Store>> Store::open(const std::string& root) {
  std::unique_ptr<Store> s(new Store(root));
  BERTH_CHECK_CTX(mkdir_p(root, 0700), "opening store");
  BERTH_CHECK_CTX(s->index_.init(), "opening store");
  BERTH_CHECK_CTX(s->blobs_.init(), "opening store");
  BERTH_CHECK_CTX(s->layers_.init(), "opening store");
  // The lock file exists from the start, so that taking a lock never changes the store tree.
  BERTH_CHECK_CTX(s->lock_shared(), "opening store");
  return s;
}

Result<sys::FileLock> Store::lock_shared() const {
  return sys::FileLock::acquire(root_ + "/locks/store.lock", sys::FileLock::Mode::kShared);
}

Result<sys::FileLock> Store::lock_exclusive() const {
  return sys::FileLock::acquire(root_ + "/locks/store.lock", sys::FileLock::Mode::kExclusive);
}

}  // namespace berth::store
