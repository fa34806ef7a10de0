// UndoStack: multi-step operations register an undo for each step and disarm the stack when
// the whole operation succeeded; otherwise the undos run in reverse order on destruction.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace berth {

class UndoStack {
 public:
  UndoStack() = default;
  UndoStack(const UndoStack&) = delete;
  UndoStack& operator=(const UndoStack&) = delete;
  ~UndoStack() { run(); }

  void add(std::function<void()> undo) { undos_.push_back(std::move(undo)); }
  void disarm() { undos_.clear(); }
  // Runs the registered undos now, newest first, and forgets them.
  void run() {
    while (!undos_.empty()) {
      auto fn = std::move(undos_.back());
      undos_.pop_back();
      fn();
    }
  }

 private:
  std::vector<std::function<void()>> undos_;
};

// Runs a callable when the scope ends unless dismissed.
template <typename F>
class ScopeGuard {
 public:
  explicit ScopeGuard(F f) : f_(std::move(f)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (armed_) {
      f_();
    }
  }
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace berth
