// Module bookkeeping: names, train/eval, device moves, state_dict loading.
#include "nn/module.h"

#include <set>
#include <sstream>
#include <stdexcept>

#include "autograd/node.h"

namespace cyclone::nn {

std::string LoadReport::str() const {
  std::ostringstream os;
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    os << what << " (" << v.size() << "):";
    for (const auto& s : v) os << "\n  " << s;
    os << "\n";
  };
  list("missing keys", missing);
  list("unexpected keys", unexpected);
  list("shape mismatches", mismatched);
  os << loaded.size() << " tensors loaded";
  return os.str();
}

std::string LoadReport::summary(size_t names) const {
  std::string out;
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out += std::string(what) + " (" + std::to_string(v.size()) + ": ";
    for (size_t i = 0; i < v.size() && i < names; ++i) out += (i ? ", " : "") + v[i];
    if (v.size() > names) out += ", and " + std::to_string(v.size() - names) + " more";
    out += "); ";
  };
  list("missing keys", missing);
  list("unexpected keys", unexpected);
  list("shape mismatches", mismatched);
  return out + std::to_string(loaded.size()) + " tensors loaded";
}

void Module::register_parameter(const std::string& name, Tensor* slot) {
  if (slot->defined() && !slot->requires_grad()) slot->requires_grad_(true);
  params_.emplace_back(name, slot);
}

void Module::register_buffer(const std::string& name, Tensor* slot) { buffers_.emplace_back(name, slot); }

std::vector<std::pair<std::string, Module*>> Module::named_children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (const auto& [n, m] : children_) out.emplace_back(n, m.get());
  return out;
}

Module* Module::child(const std::string& name) const {
  for (const auto& [n, m] : children_) {
    if (n == name) return m.get();
  }
  return nullptr;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, Module*>> out{{"", const_cast<Module*>(this)}};
  for (const auto& [n, m] : children_) {
    for (auto& [sub, mod] : m->named_modules()) out.emplace_back(sub.empty() ? n : n + "." + sub, mod);
  }
  return out;
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  for (const auto& [name, mod] : recurse ? named_modules() : std::vector<std::pair<std::string, Module*>>{{"", const_cast<Module*>(this)}}) {
    for (const auto& [pn, slot] : mod->params_) {
      if (slot->defined()) out.emplace_back(name.empty() ? pn : name + "." + pn, *slot);
    }
  }
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  for (const auto& [name, mod] : recurse ? named_modules() : std::vector<std::pair<std::string, Module*>>{{"", const_cast<Module*>(this)}}) {
    for (const auto& [bn, slot] : mod->buffers_) {
      if (slot->defined()) out.emplace_back(name.empty() ? bn : name + "." + bn, *slot);
    }
  }
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

void Module::train(bool on) {
  for (auto& [n, m] : named_modules()) {
    m->training_ = on;
    m->on_train_changed();
  }
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (auto& [n, m] : named_modules()) {
    for (auto& [pn, slot] : m->params_) {
      if (!slot->defined() || slot->device() == device) continue;
      const bool rg = slot->requires_grad();
      *slot = slot->to(device).detach();
      if (rg) slot->requires_grad_(true);
    }
    for (auto& [bn, slot] : m->buffers_) {
      if (slot->defined() && !(slot->device() == device)) *slot = slot->to(device).detach();
    }
  }
}

Device Module::device() const {
  for (auto& [n, t] : named_parameters()) return t.device();
  for (auto& [n, t] : named_buffers()) return t.device();
  return kCPU;
}

void Module::zero_grad() {
  for (auto& [n, m] : named_modules()) {
    for (auto& [pn, slot] : m->params_) {
      if (slot->defined()) slot->set_grad(Tensor());
    }
  }
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::requires_grad_(bool on) {
  for (auto& [n, m] : named_modules()) {
    for (auto& [pn, slot] : m->params_) {
      if (slot->defined()) slot->requires_grad_(on);
    }
  }
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  for (const auto& [name, mod] : named_modules()) {
    const std::string prefix = name.empty() ? "" : name + ".";
    for (const auto& [pn, slot] : mod->params_) {
      if (slot->defined()) out.emplace_back(prefix + pn, slot->detach());
    }
    for (const auto& [bn, slot] : mod->buffers_) {
      if (slot->defined()) out.emplace_back(prefix + bn, slot->detach());
    }
  }
  return out;
}

LoadReport Module::load_state_dict(const NamedTensors& state, bool strict) {
  LoadReport rep;
  std::map<std::string, const Tensor*> file;
  for (const auto& [k, v] : state) file[k] = &v;
  std::set<std::string> used;
  std::vector<std::pair<Tensor, const Tensor*>> todo;
  for (auto& [name, t] : state_dict()) {
    auto it = file.find(name);
    if (it == file.end()) {
      const bool optional = name.size() >= 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
      if (!optional) rep.missing.push_back(name);
      continue;
    }
    used.insert(name);
    if (it->second->shape() != t.shape()) {
      rep.mismatched.push_back(name + ": model " + shape_str(t.shape()) + " vs file " + shape_str(it->second->shape()));
      continue;
    }
    todo.emplace_back(t, it->second);
    rep.loaded.push_back(name);
  }
  for (const auto& [k, v] : state) {
    if (!used.count(k)) rep.unexpected.push_back(k);
  }
  if (strict && !rep.ok()) throw std::invalid_argument("load_state_dict: the state does not match the model: " + rep.summary());
  NoGradGuard no_grad;
  for (auto& [dst, src] : todo) dst.copy_(*src);
  return rep;
}

std::string Module::repr(int indent) const {
  std::ostringstream os;
  os << type_name() << "(" << extra_repr();
  if (!children_.empty()) {
    os << "\n";
    for (const auto& [n, m] : children_) {
      os << std::string(indent + 2, ' ') << "(" << n << "): " << m->repr(indent + 2) << "\n";
    }
    os << std::string(indent, ' ');
  }
  os << ")";
  return os.str();
}

}  // namespace cyclone::nn
