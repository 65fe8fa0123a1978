// Handles: a picoprocess's table from dk_handle_t to host objects. Values are deterministic
// (allocated in order, never reused while the table lives), so two runs see the same handles.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "dk/abi.h"

namespace dk {

// What a handle can name. The ABI's handle kinds; a host derives its own objects from HostObject.
enum class ObjectKind : uint32_t {
  Semaphore = 1,
  NotificationEvent,
  SynchronizationEvent,
  Thread,
  Process,
  Stream,
};

class HostObject {
 public:
  explicit HostObject(ObjectKind kind) : kind_(kind) {}
  virtual ~HostObject() = default;
  ObjectKind kind() const { return kind_; }

 private:
  ObjectKind kind_;
};

class HandleTable {
 public:
  HandleTable() = default;
  // Copies and moves start with no remembered entry (it would point into the other table).
  HandleTable(const HandleTable& o) : table_(o.table_), next_(o.next_), limit_(o.limit_) {}
  HandleTable(HandleTable&& o) noexcept
      : table_(std::move(o.table_)), next_(o.next_), limit_(o.limit_) {
    o.last_ = o.table_.end();
  }
  HandleTable& operator=(const HandleTable& o) {
    table_ = o.table_;
    next_ = o.next_;
    limit_ = o.limit_;
    last_ = table_.end();
    return *this;
  }
  HandleTable& operator=(HandleTable&& o) noexcept {
    table_ = std::move(o.table_);
    next_ = o.next_;
    limit_ = o.limit_;
    last_ = table_.end();
    o.last_ = o.table_.end();
    return *this;
  }

  // First handle value a table hands out; not 0, and not small so forged low numbers miss.
  static constexpr dk_handle_t kFirst = 0x10;

  // Adds an object; returns its new handle, or 0 when the table holds `limit` handles.
  dk_handle_t insert(std::shared_ptr<HostObject> obj);
  // The object, or nullptr when the handle is not live.
  std::shared_ptr<HostObject> get(dk_handle_t h) const;
  // Looks up and checks the kind: 0, -DK_E_BADHANDLE or -DK_E_WRONGTYPE.
  // One reference count taken, for `out`: this is on every handle-taking call's path.
  template <class T>
  dk_status_t get_as(dk_handle_t h, ObjectKind kind, std::shared_ptr<T>& out) const {
    auto it = find(h);
    if (it == table_.end()) return -DK_E_BADHANDLE;
    if (it->second->kind() != kind) return -DK_E_WRONGTYPE;
    out = std::static_pointer_cast<T>(it->second);
    return 0;
  }
  // The same check without a reference count: `out` stays valid while the handle is live,
  // so only for a call that neither closes handles nor keeps the object past its return.
  template <class T>
  dk_status_t peek_as(dk_handle_t h, ObjectKind kind, T*& out) const {
    auto it = find(h);
    if (it == table_.end()) return -DK_E_BADHANDLE;
    if (it->second->kind() != kind) return -DK_E_WRONGTYPE;
    out = static_cast<T*>(it->second.get());
    return 0;
  }
  // Removes the handle; false when it was not live.
  bool erase(dk_handle_t h);
  size_t size() const { return table_.size(); }
  void set_limit(size_t limit) { limit_ = limit; }
  const std::map<dk_handle_t, std::shared_ptr<HostObject>>& entries() const { return table_; }
  // Snapshots: the value the next insert hands out, the limit, and a table put back as it
  // was (every handle below `next`, which is at least kFirst).
  dk_handle_t next_value() const { return next_; }
  size_t limit() const { return limit_; }
  void restore(std::map<dk_handle_t, std::shared_ptr<HostObject>> table, dk_handle_t next,
               size_t limit) {
    table_ = std::move(table);
    next_ = next;
    limit_ = limit;
    last_ = table_.end();
  }

 private:
  using Table = std::map<dk_handle_t, std::shared_ptr<HostObject>>;
  // The entry looked up last is tried first: a guest loop calls on one handle. Only erase
  // can invalidate it.
  Table::const_iterator find(dk_handle_t h) const {
    if (last_ != table_.end() && last_->first == h) return last_;
    auto it = table_.find(h);
    if (it != table_.end()) last_ = it;
    return it;
  }
  Table table_;
  mutable Table::const_iterator last_ = table_.end();
  dk_handle_t next_ = kFirst;
  size_t limit_ = 0;  // 0: no limit
};

}  // namespace dk
