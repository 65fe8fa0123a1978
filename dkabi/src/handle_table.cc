#include "dk/handle_table.h"

namespace dk {

dk_handle_t HandleTable::insert(std::shared_ptr<HostObject> obj) {
  if (!obj) return 0;
  if (limit_ != 0 && table_.size() >= limit_) return 0;
  dk_handle_t h = next_++;
  table_.emplace(h, std::move(obj));
  return h;
}

std::shared_ptr<HostObject> HandleTable::get(dk_handle_t h) const {
  auto it = find(h);
  return it == table_.end() ? nullptr : it->second;
}

bool HandleTable::erase(dk_handle_t h) {
  if (last_ != table_.end() && last_->first == h) last_ = table_.end();
  return table_.erase(h) != 0;
}

}  // namespace dk
