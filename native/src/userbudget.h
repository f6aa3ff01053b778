// A walk's budget of bytes kept from texts other users choose (maps lines, command lines): so much
// in all, and at most so much of it for the processes of one user (real uid), so that one user's
// processes cannot spend what the others' need. Shared by a walk's threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace ipci {

/** The user of a process whose uid is not known (its status unread): one budget for all of them. */
constexpr uint32_t kUnknownUser = 0xffffffffu;

class UserBudget {
 public:
  UserBudget(int64_t walk, int64_t user) : total_(walk), user_(user) {}

  /** Nothing more may be kept for a process of `uid`. */
  bool Spent(uint32_t uid) {
    if (total_.load(std::memory_order_relaxed) <= 0) return true;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(uid);
    return it != users_.end() && it->second <= 0;
  }
  void Spend(uint32_t uid, int64_t n) {
    total_.fetch_sub(n, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    users_.try_emplace(uid, user_).first->second -= n;
  }

 private:
  std::atomic<int64_t> total_;
  const int64_t user_;
  std::mutex mu_;
  std::unordered_map<uint32_t, int64_t> users_;
};

}  // namespace ipci
