// The fd rows a walk keeps for one user's processes, and in all (walk.cc, bpf/bpfwalk.cc): the same
// budget the snapshot applies to the rows it lists (src/core/probes/context.ts FdIndex), applied
// while the walk reads, so that the walk's own columns are bounded too. Another user decides how
// many fds their processes hold — one pipe dup'ed a million times in each of a hundred processes
// costs them 8 bytes an fd — and a row costs the walk ~40–110 bytes before the snapshot cuts it.
//
// The snapshot keeps a user's first rows in the walk's output order (pid, then fd) until the
// user's share or the total is spent. RowBudget replays that rule over counts, so a walk that
// leaves out what RowBudget calls spent leaves out only rows the snapshot would cut.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "userbudget.h"

namespace ipci {

/** No bound (halved so that twice it still fits). */
constexpr int64_t kNoRowBound = INT64_MAX / 4;

/** A bound as the walks' options give it (a JS number): under 1, past kNoRowBound, or NaN, none. */
inline int64_t RowBound(double v) {
  return v >= 1 && v < static_cast<double>(kNoRowBound) ? static_cast<int64_t>(v) : kNoRowBound;
}

/** FdIndex's rule over counts: rows of one user are kept while the user's share and the total last. */
class RowBudget {
 public:
  RowBudget(int64_t perUser, int64_t total) : perUser_(perUser), total_(total) {}

  /** Every further row of `uid` in output order would be cut. */
  bool Spent(uint32_t uid) const {
    if (kept_ >= total_) return true;
    auto it = users_.find(uid);
    return it != users_.end() && it->second >= perUser_;
  }

  /** The next `rows` rows of `uid` in output order; returns how many of them are kept. */
  int64_t Take(uint32_t uid, int64_t rows) {
    if (rows <= 0) return 0;
    int64_t& mine = users_[uid];
    int64_t k = rows;
    if (k > perUser_ - mine) k = perUser_ - mine;
    if (k > total_ - kept_) k = total_ - kept_;
    if (k <= 0) return 0;
    mine += k;
    kept_ += k;
    return k;
  }

 private:
  int64_t perUser_, total_;
  int64_t kept_ = 0;
  std::unordered_map<uint32_t, int64_t> users_;
};

/**
 * RowBudget for a walk whose threads finish items (a process's fds, a range of a large table) out
 * of order. Items are numbered in output order and claimed in that order; Done may come in any
 * order. The budget counts the items before the first one not done (the frontier) exactly, so a
 * user it calls spent is spent for every item at or after the frontier, which every item being
 * started is. A thread stuck at the frontier must not let the others keep everything: the rows of
 * every item done in this sequence, in any order, are counted too (`seen`), and a user (or the
 * walk) past twice the budget there is spent as well. Items are claimed in order, so those done
 * before one is claimed all come before it: past twice the budget among them, the item's rows are
 * past the budget. (An item checked a while after its claim — phase 1 reads a process's other
 * files first — may see later items counted: only rows of a user with twice the budget done
 * meanwhile, which a stuck frontier allows, can then be left out that the snapshot would keep.)
 * A later sequence replays the items before it (not `fresh`): they count in order, not in `seen`.
 * Thread-safe.
 */
class RowValve {
 public:
  RowValve() : ordered_(kNoRowBound, kNoRowBound) {}

  /** The budget (RowBound: the options' numbers); before the walk's threads start. */
  void Limit(double perUser, double total) {
    perUser_ = RowBound(perUser);
    total_ = RowBound(total);
    ordered_ = RowBudget(perUser_, total_);
  }

  /** Starts a new sequence of `items` items (the next phase of the walk). */
  void Sequence(size_t items) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.assign(items, Item{});
    frontier_ = 0;
    ordered_ = RowBudget(perUser_, total_);
    seen_.clear();
    seenTotal_ = 0;
  }

  /** Item `item` is done with `rows` rows the snapshot will count; `fresh`: rows not Done before (a later sequence replays earlier ones). */
  void Done(size_t item, uint32_t uid, int64_t rows, bool fresh = true) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fresh && rows > 0) {
      seen_[uid] += rows;
      seenTotal_ += rows;
    }
    if (item >= items_.size()) return;
    items_[item] = Item{uid, rows, true};
    while (frontier_ < items_.size() && items_[frontier_].done) {
      ordered_.Take(items_[frontier_].uid, items_[frontier_].rows);
      frontier_++;
    }
  }

  /** The rows of `uid` an item started now would walk are all past the budget. */
  bool Spent(uint32_t uid) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ordered_.Spent(uid) || seenTotal_ >= 2 * total_) return true;
    auto it = seen_.find(uid);
    return it != seen_.end() && it->second >= 2 * perUser_;
  }

 private:
  struct Item {
    uint32_t uid = kUnknownUser;
    int64_t rows = 0;
    bool done = false;
  };
  std::mutex mu_;
  std::vector<Item> items_;
  size_t frontier_ = 0;
  RowBudget ordered_;
  int64_t perUser_ = kNoRowBound, total_ = kNoRowBound;
  std::unordered_map<uint32_t, int64_t> seen_;
  int64_t seenTotal_ = 0;
};

}  // namespace ipci
