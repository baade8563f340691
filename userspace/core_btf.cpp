#include "core_btf.h"

#include <bpf/btf.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace hs {
namespace {

// Relocation kinds (enum bpf_core_relo_kind in the kernel's UAPI, not in
// Debian 12's headers). Field kinds read members; the local type id needs
// nothing of the kernel.
constexpr std::uint32_t kFieldKindsEnd = 6;  // BYTE_OFFSET .. RSHIFT_U64
constexpr std::uint32_t kTypeIdLocal = 6;

[[noreturn]] void bad(const std::string& what) { throw std::runtime_error(what); }

std::vector<char> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) bad("cannot open " + path + ": " + std::strerror(errno));
  std::vector<char> bytes;
  // sysfs gives the BTF's size; read on past it anyway, the loop ends at EOF.
  if (const off_t size = ::lseek(fd, 0, SEEK_END); size > 0) bytes.reserve(size);
  ::lseek(fd, 0, SEEK_SET);
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      bad("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  ::close(fd);
  return bytes;
}

// Bytes of one type record, header included.
std::size_t record_size(const btf_type* t) {
  const std::size_t vlen = btf_vlen(t);
  switch (btf_kind(t)) {
    case BTF_KIND_INT:
      return sizeof(btf_type) + sizeof(std::uint32_t);
    case BTF_KIND_PTR:
    case BTF_KIND_FWD:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
      return sizeof(btf_type);
    case BTF_KIND_ARRAY:
      return sizeof(btf_type) + sizeof(struct btf_array);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
      return sizeof(btf_type) + vlen * sizeof(btf_member);
    case BTF_KIND_ENUM:
      return sizeof(btf_type) + vlen * sizeof(struct btf_enum);
    case BTF_KIND_FUNC_PROTO:
      return sizeof(btf_type) + vlen * sizeof(struct btf_param);
    case BTF_KIND_VAR:
      return sizeof(btf_type) + sizeof(struct btf_var);
    case BTF_KIND_DATASEC:
      return sizeof(btf_type) + vlen * sizeof(struct btf_var_secinfo);
    case BTF_KIND_DECL_TAG:
      return sizeof(btf_type) + sizeof(struct btf_decl_tag);
    case BTF_KIND_ENUM64:
      return sizeof(btf_type) + vlen * sizeof(struct btf_enum64);
    default:
      bad("kernel BTF: unknown type kind " + std::to_string(btf_kind(t)));
  }
}

// The kernel's raw BTF, read once and indexed by type id; libbpf's inline
// btf_* accessors work on its records as they are.
class KernelBtf {
 public:
  explicit KernelBtf(const std::string& path) : bytes_(read_whole(path)) {
    btf_header h{};
    if (bytes_.size() < sizeof(h)) bad(path + " is not BTF (too short)");
    std::memcpy(&h, bytes_.data(), sizeof(h));
    if (h.magic != BTF_MAGIC) bad(path + " is not BTF in this machine's byte order");
    const std::uint64_t types_end = std::uint64_t{h.hdr_len} + h.type_off + h.type_len;
    const std::uint64_t strings_end = std::uint64_t{h.hdr_len} + h.str_off + h.str_len;
    if (types_end > bytes_.size() || strings_end > bytes_.size() || h.str_len == 0 ||
        bytes_[strings_end - 1] != '\0' || h.type_off % 4 != 0)
      bad(path + ": BTF sections out of bounds");
    strings_ = {bytes_.data() + h.hdr_len + h.str_off, h.str_len};
    const char* p = bytes_.data() + h.hdr_len + h.type_off;
    const char* end = p + h.type_len;
    offsets_.push_back(0);  // id 0 is void
    while (p < end) {
      if (end - p < static_cast<std::ptrdiff_t>(sizeof(btf_type))) bad(path + ": truncated type");
      const std::size_t n = record_size(reinterpret_cast<const btf_type*>(p));
      if (static_cast<std::size_t>(end - p) < n) bad(path + ": truncated type");
      offsets_.push_back(static_cast<std::uint32_t>(p - bytes_.data()));
      p += n;
    }
  }

  std::uint32_t count() const { return static_cast<std::uint32_t>(offsets_.size()); }

  const btf_type* type(std::uint32_t id) const {
    if (id == 0 || id >= offsets_.size()) bad("kernel BTF: type id " + std::to_string(id));
    return reinterpret_cast<const btf_type*>(bytes_.data() + offsets_[id]);
  }

  std::string_view name(std::uint32_t off) const {
    if (off >= strings_.size()) bad("kernel BTF: string offset out of bounds");
    return {strings_.data() + off};
  }

  // Follows modifiers and typedefs, as CO-RE matching does.
  std::uint32_t skip_mods_and_typedefs(std::uint32_t id) const {
    while (id != 0) {
      const btf_type* t = type(id);
      if (!btf_is_mod(t) && !btf_is_typedef(t)) break;
      id = t->type;
    }
    return id;
  }

 private:
  std::vector<char> bytes_;
  std::string_view strings_;
  std::vector<std::uint32_t> offsets_;
};

// "task_struct___v2" matches "task_struct": flavours end at "___".
std::string_view essential_name(std::string_view name) {
  const auto cut = name.find("___");
  return cut == std::string_view::npos ? name : name.substr(0, cut);
}

std::uint32_t local_skip(const btf* local, std::uint32_t id) {
  while (id != 0) {
    const btf_type* t = btf__type_by_id(local, id);
    if (!t || (!btf_is_mod(t) && !btf_is_typedef(t))) break;
    id = t->type;
  }
  return id;
}

struct Section {
  const std::byte* data = nullptr;
  std::size_t size = 0;
};

// The named section of an ELF64 object, or an empty one.
Section find_section(ElfBytes elf, std::string_view wanted) {
  Elf64_Ehdr eh{};
  if (elf.size() < sizeof(eh)) bad("BPF object: not an ELF file");
  std::memcpy(&eh, elf.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
    bad("BPF object: not a 64-bit ELF file");
  auto header = [&](std::size_t i) {
    Elf64_Shdr sh{};
    const std::uint64_t at = eh.e_shoff + i * std::uint64_t{eh.e_shentsize};
    if (eh.e_shentsize < sizeof(sh) || at + sizeof(sh) > elf.size())
      bad("BPF object: section header out of bounds");
    std::memcpy(&sh, elf.data() + at, sizeof(sh));
    if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > elf.size())
      bad("BPF object: section out of bounds");
    return sh;
  };
  const Elf64_Shdr names = header(eh.e_shstrndx);
  for (std::size_t i = 0; i < eh.e_shnum; ++i) {
    const Elf64_Shdr sh = header(i);
    if (sh.sh_name >= names.sh_size) continue;
    const char* name = reinterpret_cast<const char*>(elf.data() + names.sh_offset + sh.sh_name);
    if (wanted == std::string_view(name, strnlen(name, names.sh_size - sh.sh_name)))
      return {elf.data() + sh.sh_offset, sh.sh_size};
  }
  return {};
}

// One CO-RE relocation: a root type of the object's BTF and the access path
// ("0:3:1") below it.
struct Relocation {
  std::uint32_t type_id;
  std::uint32_t kind;
  std::string access;
};

std::vector<Relocation> core_relocations(const btf* local, Section ext) {
  // struct btf_ext_header (libbpf-internal): magic, version, flags, hdr_len,
  // then offset/length pairs of func_info, line_info and core_relo, each
  // relative to the end of the header.
  struct ExtHeader {
    std::uint16_t magic;
    std::uint8_t version, flags;
    std::uint32_t hdr_len, func_info_off, func_info_len, line_info_off, line_info_len;
    std::uint32_t core_relo_off, core_relo_len;
  } h{};
  std::vector<Relocation> out;
  if (ext.size < offsetof(ExtHeader, core_relo_off)) return out;
  std::memcpy(&h, ext.data, std::min(ext.size, sizeof(h)));
  if (h.magic != BTF_MAGIC) bad("BPF object: .BTF.ext is not BTF");
  if (h.hdr_len < sizeof(h) || h.core_relo_len == 0) return out;  // no CO-RE relocations
  const std::uint64_t begin = std::uint64_t{h.hdr_len} + h.core_relo_off;
  const std::uint64_t end = begin + h.core_relo_len;
  if (end > ext.size) bad("BPF object: CO-RE relocations out of bounds");
  auto u32 = [&](std::uint64_t at) {
    if (at + 4 > end) bad("BPF object: truncated CO-RE relocations");
    std::uint32_t v;
    std::memcpy(&v, ext.data + at, 4);
    return v;
  };
  const std::uint32_t record = u32(begin);  // insn_off, type_id, access_str_off, kind
  if (record < 16) bad("BPF object: CO-RE relocation records too small");
  for (std::uint64_t at = begin + 4; at < end;) {
    const std::uint32_t count = u32(at + 4);  // after the section name's offset
    at += 8;
    for (std::uint32_t i = 0; i < count; ++i, at += record) {
      const char* access = btf__name_by_offset(local, u32(at + 8));
      if (!access) bad("BPF object: CO-RE access string out of bounds");
      out.push_back({u32(at + 4), u32(at + 12), access});
    }
  }
  return out;
}

std::vector<std::uint32_t> parse_access(const std::string& access) {
  std::vector<std::uint32_t> out;
  std::string_view rest = access;
  while (!rest.empty()) {
    std::uint32_t v = 0;
    const auto [next, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc{}) bad("BPF object: bad CO-RE access string \"" + access + "\"");
    rest.remove_prefix(static_cast<std::size_t>(next - rest.data()));
    if (!rest.empty()) {
      if (rest.front() != ':') bad("BPF object: bad CO-RE access string \"" + access + "\"");
      rest.remove_prefix(1);
    }
    out.push_back(v);
  }
  if (out.empty()) bad("BPF object: empty CO-RE access string");
  return out;
}

// What of the kernel's BTF is kept: types by id, and for structs and unions
// the indices of the members kept (possibly none).
class Cut {
 public:
  explicit Cut(const KernelBtf& kernel) : k_(kernel) {}

  // Keeps, for every field relocation of every object, what each kernel type
  // libbpf would consider (same kind, same essential name) needs for the
  // access to resolve. One pass over the kernel's types for all of them.
  void add(const std::vector<std::pair<const btf*, Relocation>>& relocations) {
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_root_name;
    for (std::size_t i = 0; i < relocations.size(); ++i) {
      const auto& [local, r] = relocations[i];
      if (r.kind == kTypeIdLocal) continue;
      if (r.kind >= kFieldKindsEnd)
        bad("CO-RE relocation kind " + std::to_string(r.kind) +
            " (a type or enum relocation) is not supported when cutting the kernel BTF");
      const btf_type* root = btf__type_by_id(local, r.type_id);
      if (!root) bad("BPF object: CO-RE relocation of unknown type " + std::to_string(r.type_id));
      by_root_name[essential_name(btf__name_by_offset(local, root->name_off))].push_back(i);
    }
    for (std::uint32_t id = 1; id < k_.count(); ++id) {
      const btf_type* t = k_.type(id);
      if (t->name_off == 0 || (!btf_is_composite(t) && !btf_is_typedef(t))) continue;
      const auto found = by_root_name.find(essential_name(k_.name(t->name_off)));
      if (found == by_root_name.end()) continue;
      for (std::size_t i : found->second) {
        const auto& [local, r] = relocations[i];
        if (btf_kind(t) != btf_kind(btf__type_by_id(local, r.type_id))) continue;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> path;
        if (!walk(local, r.type_id, id, parse_access(r.access), path)) continue;
        keep_type(id);
        for (const auto& [composite, member] : path) members_[composite].insert(member);
      }
    }
  }

  // Emits the kept types in id order, each referring to the others by their
  // new ids.
  std::vector<std::byte> emit() {
    close_over_member_types();
    std::map<std::uint32_t, std::uint32_t> new_id;
    std::uint32_t next = 1;
    for (std::uint32_t id : types_) new_id[id] = next++;
    auto mapped = [&](std::uint32_t id) { return id == 0 ? 0 : new_id.at(id); };

    std::unique_ptr<btf, void (*)(btf*)> out(btf__new_empty(), btf__free);
    if (!out) bad("cannot create BTF: " + std::string(std::strerror(errno)));
    btf* b = out.get();
    for (std::uint32_t id : types_) {
      const btf_type* t = k_.type(id);
      const std::string name(k_.name(t->name_off));
      const char* opt_name = name.empty() ? nullptr : name.c_str();
      int made = -EINVAL;
      switch (btf_kind(t)) {
        case BTF_KIND_INT:
          made =
              btf__add_int(b, name.c_str(), static_cast<std::size_t>(t->size), btf_int_encoding(t));
          break;
        case BTF_KIND_FLOAT:
          made = btf__add_float(b, name.c_str(), t->size);
          break;
        case BTF_KIND_FWD:
          made = btf__add_fwd(b, name.c_str(), btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
          break;
        case BTF_KIND_ENUM:
          made = btf__add_enum(b, opt_name, t->size);
          for (int i = 0; made > 0 && i < btf_vlen(t); ++i) {
            const struct btf_enum* e = btf_enum(t) + i;
            if (int err = btf__add_enum_value(b, std::string(k_.name(e->name_off)).c_str(), e->val))
              made = err;
          }
          break;
        case BTF_KIND_ENUM64:
          made = btf__add_enum64(b, opt_name, t->size, btf_kflag(t));
          for (int i = 0; made > 0 && i < btf_vlen(t); ++i) {
            const struct btf_enum64* e = btf_enum64(t) + i;
            if (int err = btf__add_enum64_value(b, std::string(k_.name(e->name_off)).c_str(),
                                                btf_enum64_value(e)))
              made = err;
          }
          break;
        case BTF_KIND_PTR:
          made = btf__add_ptr(b, void_pointers_.contains(id) ? 0 : mapped(t->type));
          break;
        case BTF_KIND_TYPEDEF:
          made = btf__add_typedef(b, name.c_str(), mapped(t->type));
          break;
        case BTF_KIND_VOLATILE:
          made = btf__add_volatile(b, mapped(t->type));
          break;
        case BTF_KIND_CONST:
          made = btf__add_const(b, mapped(t->type));
          break;
        case BTF_KIND_RESTRICT:
          made = btf__add_restrict(b, mapped(t->type));
          break;
        case BTF_KIND_TYPE_TAG:
          made = btf__add_type_tag(b, name.c_str(), mapped(t->type));
          break;
        case BTF_KIND_ARRAY: {
          const struct btf_array* a = btf_array(t);
          made = btf__add_array(b, mapped(a->index_type), mapped(a->type), a->nelems);
          break;
        }
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
          made = btf_is_struct(t) ? btf__add_struct(b, opt_name, t->size)
                                  : btf__add_union(b, opt_name, t->size);
          for (std::uint32_t i : members_[id]) {
            if (made <= 0) break;
            const btf_member* m = btf_members(t) + i;
            const std::string member(k_.name(m->name_off));
            if (int err =
                    btf__add_field(b, member.empty() ? nullptr : member.c_str(), mapped(m->type),
                                   btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i)))
              made = err;
          }
          break;
        default:
          bad("cutting the kernel BTF: unexpected kind " + std::to_string(btf_kind(t)));
      }
      if (made != static_cast<int>(mapped(id)))
        bad("cutting the kernel BTF: cannot copy type " + std::to_string(id) + " (" + name +
            "): " + std::strerror(made < 0 ? -made : EINVAL));
    }
    std::uint32_t size = 0;
    const void* raw = btf__raw_data(b, &size);
    if (!raw) bad("cannot write BTF: " + std::string(std::strerror(errno)));
    const auto* p = static_cast<const std::byte*>(raw);
    return {p, p + size};
  }

 private:
  // Matches `access` below the object's type `local_id` in the kernel's type
  // `kernel_id` the way libbpf does (named members by name, looking into
  // anonymous structs and unions; array indices into arrays), collecting the
  // kernel (composite, member) steps taken.
  bool walk(const btf* local, std::uint32_t local_id, std::uint32_t kernel_id,
            const std::vector<std::uint32_t>& access,
            std::vector<std::pair<std::uint32_t, std::uint32_t>>& path) const {
    std::uint32_t l = local_skip(local, local_id);
    std::uint32_t k = k_.skip_mods_and_typedefs(kernel_id);
    for (std::size_t i = 1; i < access.size(); ++i) {  // [0] indexes the root itself
      const btf_type* lt = btf__type_by_id(local, l);
      if (!lt || k == 0) return false;
      const btf_type* kt = k_.type(k);
      if (btf_is_composite(lt)) {
        if (access[i] >= btf_vlen(lt)) bad("BPF object: CO-RE member index out of range");
        const btf_member* m = btf_members(lt) + access[i];
        const char* name = btf__name_by_offset(local, m->name_off);
        l = local_skip(local, m->type);
        if (!name || !*name) continue;  // anonymous: the next named member is looked up through it
        if (!btf_is_composite(kt) || !find_member(k, name, path)) return false;
        const btf_type* holder = k_.type(path.back().first);
        k = k_.skip_mods_and_typedefs((btf_members(holder) + path.back().second)->type);
      } else if (btf_is_array(lt)) {
        if (!btf_is_array(kt)) return false;
        l = local_skip(local, btf_array(lt)->type);
        k = k_.skip_mods_and_typedefs(btf_array(kt)->type);
      } else {
        return false;
      }
    }
    return true;
  }

  bool find_member(std::uint32_t composite, std::string_view name,
                   std::vector<std::pair<std::uint32_t, std::uint32_t>>& path) const {
    const btf_type* t = k_.type(composite);
    for (std::uint32_t i = 0; i < btf_vlen(t); ++i) {
      const btf_member* m = btf_members(t) + i;
      const std::string_view member = k_.name(m->name_off);
      if (member == name) {
        path.emplace_back(composite, i);
        return true;
      }
      if (!member.empty()) continue;
      const std::uint32_t inner = k_.skip_mods_and_typedefs(m->type);
      if (inner == 0 || !btf_is_composite(k_.type(inner))) continue;
      path.emplace_back(composite, i);
      if (find_member(inner, name, path)) return true;
      path.pop_back();
    }
    return false;
  }

  void keep_type(std::uint32_t id) {
    if (id != 0) pending_.push_back(id);
  }

  // Every kept type brings the types it refers to; a pointer to a function
  // becomes a pointer to void (nothing reads through it).
  void close_over_member_types() {
    for (const auto& [composite, members] : members_) {
      keep_type(composite);
      const btf_type* t = k_.type(composite);
      for (std::uint32_t i : members) keep_type((btf_members(t) + i)->type);
    }
    while (!pending_.empty()) {
      const std::uint32_t id = pending_.back();
      pending_.pop_back();
      if (!types_.insert(id).second) continue;
      const btf_type* t = k_.type(id);
      switch (btf_kind(t)) {
        case BTF_KIND_PTR: {
          const std::uint32_t to = k_.skip_mods_and_typedefs(t->type);
          if (to != 0 && btf_is_func_proto(k_.type(to)))
            void_pointers_.insert(id);
          else
            keep_type(t->type);
          break;
        }
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_VOLATILE:
        case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_TYPE_TAG:
          keep_type(t->type);
          break;
        case BTF_KIND_ARRAY:
          keep_type(btf_array(t)->type);
          keep_type(btf_array(t)->index_type);
          break;
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
          for (std::uint32_t i : members_[id]) keep_type((btf_members(t) + i)->type);
          break;
        case BTF_KIND_INT:
        case BTF_KIND_FLOAT:
        case BTF_KIND_FWD:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
          break;
        default:
          bad("cutting the kernel BTF: a kept member has a type of kind " +
              std::to_string(btf_kind(t)));
      }
    }
  }

  const KernelBtf& k_;
  std::map<std::uint32_t, std::set<std::uint32_t>> members_;
  std::vector<std::uint32_t> pending_;
  std::set<std::uint32_t> types_;
  std::set<std::uint32_t> void_pointers_;
};

}  // namespace

std::vector<std::byte> cut_kernel_btf(const std::vector<ElfBytes>& objects,
                                      const std::string& kernel_btf) {
  std::vector<std::unique_ptr<btf, void (*)(btf*)>> locals;
  std::vector<std::pair<const btf*, Relocation>> relocations;
  for (ElfBytes object : objects) {
    const Section btf_section = find_section(object, ".BTF");
    if (!btf_section.data) bad("BPF object: no .BTF section");
    locals.emplace_back(btf__new(btf_section.data, static_cast<std::uint32_t>(btf_section.size)),
                        btf__free);
    const btf* local = locals.back().get();
    if (!local) bad("BPF object: unreadable .BTF section");
    for (Relocation& r : core_relocations(local, find_section(object, ".BTF.ext")))
      relocations.emplace_back(local, std::move(r));
  }
  const KernelBtf kernel(kernel_btf);
  Cut cut(kernel);
  cut.add(relocations);
  return cut.emit();
}

BtfFile::BtfFile(const std::vector<std::byte>& raw_btf) {
  fd_ = ::memfd_create("hs-kernel-btf", MFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
  for (std::size_t done = 0; done < raw_btf.size();) {
    const ssize_t n = ::write(fd_, raw_btf.data() + done, raw_btf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd_);
      throw std::system_error(err, std::generic_category(), "writing the kernel BTF cut");
    }
    done += static_cast<std::size_t>(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

BtfFile::~BtfFile() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace hs
