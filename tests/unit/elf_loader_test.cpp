// Tests for devices/elf_loader: ELF images are built in memory by a small writer below, so that
// every malformation can be produced exactly; one test also loads real toolchain output.
#include "devices/elf_loader.hpp"

#include <elf.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace hartbox;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 1 << 20;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hartbox-elf-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

template <typename T>
void patch(std::vector<uint8_t>& bytes, size_t offset, T value) {
  REQUIRE(offset + sizeof(T) <= bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

size_t phdr_field(size_t index, size_t field) { return sizeof(Elf64_Ehdr) + index * sizeof(Elf64_Phdr) + field; }

// A minimal ELF writer: header, program headers, segment bytes, then (optionally) .strtab,
// .symtab, .shstrtab and the section header table.
struct ElfBuilder {
  struct Symbol {
    std::string name;
    uint64_t value;
    unsigned char bind = STB_GLOBAL, type = STT_NOTYPE;
    uint16_t shndx = SHN_ABS;
  };
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<std::vector<uint8_t>> contents;
  std::vector<Symbol> symbols;
  bool with_sections = true;
  uint64_t section_table_offset = 0;  // set by build()

  ElfBuilder() {
    std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
    ehdr.e_ident[EI_CLASS] = ELFCLASS64;
    ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
    ehdr.e_ident[EI_VERSION] = EV_CURRENT;
    ehdr.e_type = ET_EXEC;
    ehdr.e_machine = EM_RISCV;
    ehdr.e_version = EV_CURRENT;
    ehdr.e_entry = kRamBase;
    ehdr.e_ehsize = sizeof(Elf64_Ehdr);
    ehdr.e_phentsize = sizeof(Elf64_Phdr);
    ehdr.e_shentsize = sizeof(Elf64_Shdr);
  }

  ElfBuilder& segment(uint64_t paddr, std::vector<uint8_t> bytes, uint64_t memsz, uint32_t type = PT_LOAD) {
    Elf64_Phdr ph{};
    ph.p_type = type;
    ph.p_flags = PF_R | PF_X;
    ph.p_vaddr = paddr ^ 0xffffffc000000000;  // a different virtual address: p_paddr must be used
    ph.p_paddr = paddr;
    ph.p_filesz = bytes.size();
    ph.p_memsz = memsz;
    ph.p_align = 8;
    phdrs.push_back(ph);
    contents.push_back(std::move(bytes));
    return *this;
  }
  ElfBuilder& symbol(Symbol s) {
    symbols.push_back(std::move(s));
    return *this;
  }

  std::vector<uint8_t> build() {
    std::vector<uint8_t> out(sizeof(Elf64_Ehdr) + phdrs.size() * sizeof(Elf64_Phdr));
    auto align8 = [&out] { out.resize((out.size() + 7) & ~size_t{7}); };
    auto append = [&out](const void* p, size_t n) {
      const auto* b = static_cast<const uint8_t*>(p);
      out.insert(out.end(), b, b + n);
    };
    ehdr.e_phoff = phdrs.empty() ? 0 : sizeof(Elf64_Ehdr);
    ehdr.e_phnum = static_cast<uint16_t>(phdrs.size());
    for (size_t i = 0; i < phdrs.size(); ++i) {
      align8();
      phdrs[i].p_offset = contents[i].empty() ? 0 : out.size();
      append(contents[i].data(), contents[i].size());
    }
    if (with_sections) {
      std::string strtab(1, '\0');
      std::vector<Elf64_Sym> syms(1);  // entry 0 is the null symbol
      for (const Symbol& s : symbols) {
        Elf64_Sym sym{};
        sym.st_name = static_cast<uint32_t>(strtab.size());
        strtab += s.name + '\0';
        sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(s.bind, s.type));
        sym.st_shndx = s.shndx;
        sym.st_value = s.value;
        syms.push_back(sym);
      }
      const std::string shstrtab = std::string("\0.symtab\0.strtab\0.shstrtab\0", 27);
      align8();
      const uint64_t strtab_off = out.size();
      append(strtab.data(), strtab.size());
      align8();
      const uint64_t symtab_off = out.size();
      append(syms.data(), syms.size() * sizeof(Elf64_Sym));
      const uint64_t shstrtab_off = out.size();
      append(shstrtab.data(), shstrtab.size());
      align8();
      std::vector<Elf64_Shdr> sh(4);
      sh[1].sh_name = 1;
      sh[1].sh_type = SHT_SYMTAB;
      sh[1].sh_offset = symtab_off;
      sh[1].sh_size = syms.size() * sizeof(Elf64_Sym);
      sh[1].sh_link = 2;
      sh[1].sh_info = 1;
      sh[1].sh_entsize = sizeof(Elf64_Sym);
      sh[1].sh_addralign = 8;
      sh[2].sh_name = 9;
      sh[2].sh_type = SHT_STRTAB;
      sh[2].sh_offset = strtab_off;
      sh[2].sh_size = strtab.size();
      sh[2].sh_addralign = 1;
      sh[3].sh_name = 17;
      sh[3].sh_type = SHT_STRTAB;
      sh[3].sh_offset = shstrtab_off;
      sh[3].sh_size = shstrtab.size();
      sh[3].sh_addralign = 1;
      section_table_offset = out.size();
      append(sh.data(), sh.size() * sizeof(Elf64_Shdr));
      ehdr.e_shoff = section_table_offset;
      ehdr.e_shnum = 4;
      ehdr.e_shstrndx = 3;
    } else {
      ehdr.e_shoff = 0;
      ehdr.e_shnum = 0;
      ehdr.e_shstrndx = SHN_UNDEF;
    }
    std::memcpy(out.data(), &ehdr, sizeof ehdr);
    if (!phdrs.empty()) std::memcpy(out.data() + sizeof(Elf64_Ehdr), phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
    return out;
  }
};

// A small valid image: code at the start of RAM, data + .bss further up, HTIF symbols.
ElfBuilder typical_image() {
  ElfBuilder b;
  b.segment(kRamBase, {0x13, 0x05, 0xa0, 0x02, 0x73, 0x00, 0x10, 0x00}, 8);
  b.segment(kRamBase + 0x2000, {1, 2, 3, 4, 5}, 0x1800);  // 5 file bytes, the rest is .bss
  b.symbol({"_start", kRamBase, STB_GLOBAL, STT_FUNC});
  b.symbol({"tohost", kRamBase + 0x1000, STB_GLOBAL, STT_OBJECT});
  b.symbol({"fromhost", kRamBase + 0x1040, STB_GLOBAL, STT_OBJECT});
  return b;
}

std::string error_of(const std::string& path, GuestRam& ram) {
  try {
    load_elf(path, ram);
  } catch (const LoadError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

}  // namespace

TEST_CASE("load_elf copies PT_LOAD segments to their physical addresses and zero-fills .bss", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  // Dirty the .bss area first: the loader must clear what the segment's memory size covers.
  ram.fill(kRamBase + 0x2000, 0xee, 0x1800);
  ram.fill(kRamBase + 0x3800, 0xee, 0x10);  // just past the segment: must stay as it is
  ElfBuilder b = typical_image();
  b.ehdr.e_entry = kRamBase + 4;
  const std::string path = write_file(dir.file("ok.elf"), b.build());

  ElfImage image = load_elf(path, ram);
  CHECK(image.entry == kRamBase + 4);
  CHECK(image.lowest_address == kRamBase);
  CHECK(image.highest_address == kRamBase + 0x2000 + 0x17ff);

  uint8_t code[8];
  ram.read(kRamBase, code, sizeof code);
  CHECK(code[0] == 0x13);
  CHECK(code[7] == 0x00);
  CHECK(code[4] == 0x73);
  uint8_t data[5];
  ram.read(kRamBase + 0x2000, data, sizeof data);
  CHECK(std::vector<uint8_t>(data, data + 5) == std::vector<uint8_t>{1, 2, 3, 4, 5});
  std::vector<uint8_t> bss(0x1800 - 5);
  ram.read(kRamBase + 0x2005, bss.data(), bss.size());
  CHECK(std::all_of(bss.begin(), bss.end(), [](uint8_t v) { return v == 0; }));
  uint8_t after;
  ram.read(kRamBase + 0x3800, &after, 1);
  CHECK(after == 0xee);
}

TEST_CASE("load_elf does not allocate RAM pages for a .bss that was never touched", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  ElfBuilder b;
  b.segment(kRamBase, {1, 2, 3, 4}, 0x80000);  // 4 bytes of data and 512 KiB of .bss
  load_elf(write_file(dir.file("bss.elf"), b.build()), ram);
  CHECK(ram.resident_pages() == 1);
}

TEST_CASE("load_elf returns the symbol table", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  ElfBuilder b = typical_image();
  b.symbol({"begin_signature", kRamBase + 0x2000, STB_GLOBAL, STT_NOTYPE});
  b.symbol({"helper", 0x1111, STB_LOCAL, STT_FUNC});       // a static function in one file...
  b.symbol({"helper", 0x2222, STB_GLOBAL, STT_FUNC});      // ...and the global one: it wins
  b.symbol({"dup_local", 0x3333, STB_LOCAL, STT_OBJECT});  // two locals: the first one stays
  b.symbol({"dup_local", 0x4444, STB_LOCAL, STT_OBJECT});
  b.symbol({"undefined_ref", 0, STB_GLOBAL, STT_NOTYPE, SHN_UNDEF});
  b.symbol({"crt.S", 0, STB_LOCAL, STT_FILE});
  b.symbol({".text", kRamBase, STB_LOCAL, STT_SECTION});
  ElfImage image = load_elf(write_file(dir.file("sym.elf"), b.build()), ram);

  CHECK(image.symbol("tohost") == kRamBase + 0x1000);
  CHECK(image.symbol("fromhost") == kRamBase + 0x1040);
  CHECK(image.symbol("_start") == kRamBase);
  CHECK(image.symbol("begin_signature") == kRamBase + 0x2000);
  CHECK(image.symbol("helper") == 0x2222);
  CHECK(image.symbol("dup_local") == 0x3333);
  CHECK_FALSE(image.symbol("undefined_ref").has_value());
  CHECK_FALSE(image.symbol("crt.S").has_value());
  CHECK_FALSE(image.symbol(".text").has_value());
  CHECK_FALSE(image.symbol("no_such_symbol").has_value());
  CHECK(image.symbols.size() == 6);
}

TEST_CASE("load_elf accepts an image without section headers (stripped)", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  ElfBuilder b = typical_image();
  b.with_sections = false;
  ElfImage image = load_elf(write_file(dir.file("stripped.elf"), b.build()), ram);
  CHECK(image.symbols.empty());
  CHECK(image.entry == kRamBase);
}

TEST_CASE("load_elf accepts ET_DYN linked inside RAM and loads it unrelocated", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  ElfBuilder inside = typical_image();
  inside.ehdr.e_type = ET_DYN;
  ElfImage image = load_elf(write_file(dir.file("pie.elf"), inside.build()), ram);
  CHECK(image.lowest_address == kRamBase);
  uint8_t first;
  ram.read(kRamBase, &first, 1);
  CHECK(first == 0x13);

  ElfBuilder at_zero;
  at_zero.ehdr.e_type = ET_DYN;
  at_zero.segment(0, {1, 2, 3, 4}, 4);
  const std::string path = write_file(dir.file("pie0.elf"), at_zero.build());
  CHECK(error_of(path, ram) == path +
                                   ": segment 0 [0x0, 0x4) is outside RAM [0x80000000, 0x80100000) (ET_DYN images "
                                   "load at their link addresses, without relocation)");
}

TEST_CASE("load_elf: file-level errors name the file and the problem", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);

  const std::string missing = dir.file("missing.elf");
  CHECK(error_of(missing, ram) == missing + ": cannot open: No such file or directory");

  const std::string directory = dir.file("a_directory");
  std::filesystem::create_directory(directory);
  CHECK(error_of(directory, ram) == directory + ": is a directory, not a file");

  const std::string empty = write_file(dir.file("empty.elf"), {});
  CHECK(error_of(empty, ram) == empty + ": empty file, not an ELF executable");

  const std::string text = write_file(dir.file("text.elf"), {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK(error_of(text, ram) == text + ": not an ELF file (bad magic)");

  const std::string tiny = write_file(dir.file("tiny.elf"), {0x7f, 'E'});
  CHECK(error_of(tiny, ram) == tiny + ": not an ELF file (bad magic)");

  std::vector<uint8_t> valid = typical_image().build();
  const std::string short_ident = write_file(dir.file("ident.elf"), {valid.begin(), valid.begin() + 10});
  CHECK(error_of(short_ident, ram) == short_ident + ": truncated ELF header (10 bytes)");
  const std::string short_header = write_file(dir.file("header.elf"), {valid.begin(), valid.begin() + 40});
  CHECK(error_of(short_header, ram) == short_header + ": truncated ELF header (40 bytes, the header alone is 64)");

  if (geteuid() != 0) {  // root reads anything
    const std::string unreadable = write_file(dir.file("unreadable.elf"), valid);
    std::filesystem::permissions(unreadable, std::filesystem::perms::none);
    CHECK(error_of(unreadable, ram) == unreadable + ": cannot open: Permission denied");
  }
}

TEST_CASE("load_elf: identification and header errors", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  auto variant = [&](const std::string& name, auto&& change) {
    ElfBuilder b = typical_image();
    std::vector<uint8_t> bytes = b.build();
    change(bytes);
    return write_file(dir.file(name), bytes);
  };

  const std::string rv32 = variant("rv32.elf", [](auto& b) { b[EI_CLASS] = ELFCLASS32; });
  CHECK(error_of(rv32, ram) == rv32 + ": ELFCLASS32: Hartbox runs RV64 only");
  const std::string bad_class = variant("class.elf", [](auto& b) { b[EI_CLASS] = 7; });
  CHECK(error_of(bad_class, ram) == bad_class + ": bad ELF class 7");
  const std::string big = variant("be.elf", [](auto& b) { b[EI_DATA] = ELFDATA2MSB; });
  CHECK(error_of(big, ram) == big + ": big-endian ELF (ELFDATA2MSB): RISC-V is little-endian");
  const std::string bad_data = variant("data.elf", [](auto& b) { b[EI_DATA] = 0; });
  CHECK(error_of(bad_data, ram) == bad_data + ": bad ELF data encoding 0");
  const std::string bad_version = variant("version.elf", [](auto& b) { b[EI_VERSION] = 2; });
  CHECK(error_of(bad_version, ram) == bad_version + ": unsupported ELF version 2");

  auto with_machine = [&](const std::string& name, uint16_t machine) {
    return variant(name, [machine](auto& b) { patch<uint16_t>(b, offsetof(Elf64_Ehdr, e_machine), machine); });
  };
  const std::string x86 = with_machine("x86.elf", EM_X86_64);
  CHECK(error_of(x86, ram) == x86 + ": built for x86-64 (e_machine 62), not RISC-V");
  const std::string arm64 = with_machine("arm64.elf", EM_AARCH64);
  CHECK(error_of(arm64, ram) == arm64 + ": built for AArch64 (e_machine 183), not RISC-V");
  const std::string odd = with_machine("odd.elf", 4242);
  CHECK(error_of(odd, ram) == odd + ": built for machine 4242 (e_machine 4242), not RISC-V");

  auto with_type = [&](const std::string& name, uint16_t type) {
    return variant(name, [type](auto& b) { patch<uint16_t>(b, offsetof(Elf64_Ehdr, e_type), type); });
  };
  const std::string rel = with_type("rel.o", ET_REL);
  CHECK(error_of(rel, ram) == rel + ": a relocatable object (ET_REL), not an executable: link it first");
  const std::string core = with_type("core", ET_CORE);
  CHECK(error_of(core, ram) == core + ": a core dump (ET_CORE), not an executable");
  const std::string none = with_type("none.elf", ET_NONE);
  CHECK(error_of(none, ram) == none + ": not an executable (e_type 0)");
}

TEST_CASE("load_elf: program header table errors", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);

  ElfBuilder no_phdrs;
  no_phdrs.symbol({"x", 1});
  const std::string empty = write_file(dir.file("nophdr.elf"), no_phdrs.build());
  CHECK(error_of(empty, ram) == empty + ": no program headers: nothing to load");

  ElfBuilder notes;
  notes.segment(kRamBase, {1, 2, 3, 4}, 4, PT_NOTE);
  notes.segment(kRamBase, {}, 0);  // a PT_LOAD of size 0 loads nothing either
  const std::string nothing = write_file(dir.file("noload.elf"), notes.build());
  CHECK(error_of(nothing, ram) == nothing + ": no loadable segments (PT_LOAD with a non-zero size)");

  std::vector<uint8_t> bytes = typical_image().build();
  auto variant = [&](const std::string& name, auto&& change) {
    std::vector<uint8_t> copy = bytes;
    change(copy);
    return write_file(dir.file(name), copy);
  };
  const std::string entsize =
      variant("phentsize.elf", [](auto& b) { patch<uint16_t>(b, offsetof(Elf64_Ehdr, e_phentsize), 32); });
  CHECK(error_of(entsize, ram) == entsize + ": program header entry size 32, expected 56");

  const std::string past_end =
      variant("phoff.elf", [](auto& b) { patch<uint64_t>(b, offsetof(Elf64_Ehdr, e_phoff), 0x100000); });
  CHECK(error_of(past_end, ram) == past_end + ": program header table (2 entries at offset 0x100000) extends past the "
                                              "end of the file (" +
                                              std::to_string(bytes.size()) + " bytes)");

  const std::string wrapping = variant(
      "phoff_wrap.elf", [](auto& b) { patch<uint64_t>(b, offsetof(Elf64_Ehdr, e_phoff), 0xfffffffffffffff0); });
  CHECK_THAT(error_of(wrapping, ram), ContainsSubstring("program header table (2 entries at offset 0xfffffffffffffff0) "
                                                        "extends past the end of the file"));

  // PN_XNUM: the real count lives in section 0's sh_info; a forged huge one is refused early.
  ElfBuilder b = typical_image();
  std::vector<uint8_t> xnum = b.build();
  patch<uint16_t>(xnum, offsetof(Elf64_Ehdr, e_phnum), PN_XNUM);
  patch<uint32_t>(xnum, b.section_table_offset + offsetof(Elf64_Shdr, sh_info), 3000000);
  const std::string absurd = write_file(dir.file("xnum.elf"), xnum);
  CHECK(error_of(absurd, ram) == absurd + ": absurd program header count 3000000");
}

TEST_CASE("load_elf: segment errors give the addresses and the RAM range", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);

  auto image = [&](const std::string& name, uint64_t paddr, uint64_t memsz) {
    ElfBuilder b;
    b.segment(paddr, {1, 2, 3, 4}, memsz);
    return write_file(dir.file(name), b.build());
  };
  const std::string low = image("low.elf", 0x1000, 0x10);
  CHECK(error_of(low, ram) == low + ": segment 0 [0x1000, 0x1010) is outside RAM [0x80000000, 0x80100000)");
  const std::string straddle = image("straddle.elf", kRamBase + kRamSize - 8, 0x10);
  CHECK(error_of(straddle, ram) ==
        straddle + ": segment 0 [0x800ffff8, 0x80100008) is outside RAM [0x80000000, 0x80100000)");
  const std::string huge = image("huge.elf", kRamBase, 0x100000000);
  CHECK(error_of(huge, ram) == huge + ": segment 0 [0x80000000, 0x180000000) is outside RAM [0x80000000, 0x80100000)");
  const std::string wraps = image("wrap.elf", 0xfffffffffffff000, 0x2000);
  CHECK(error_of(wraps, ram) == wraps + ": segment 0: address 0xfffffffffffff000 + size 0x2000 overflows");

  ElfBuilder b;
  b.segment(kRamBase, {1, 2, 3, 4, 5, 6, 7, 8}, 8);
  const std::vector<uint8_t> bytes = b.build();
  auto variant = [&](const std::string& name, size_t field, uint64_t value) {
    std::vector<uint8_t> copy = bytes;
    patch<uint64_t>(copy, phdr_field(0, field), value);
    return write_file(dir.file(name), copy);
  };
  const std::string bigger = variant("filesz.elf", offsetof(Elf64_Phdr, p_memsz), 4);
  CHECK(error_of(bigger, ram) == bigger + ": segment 0: file size 0x8 is larger than its memory size 0x4");
  const std::string past = variant("offset.elf", offsetof(Elf64_Phdr, p_offset), 0x10000);
  CHECK(error_of(past, ram) == past + ": segment 0: file bytes [0x10000, 0x10008) are past the end of the file (" +
                                   std::to_string(bytes.size()) + " bytes)");
  const std::string overflow = variant("offset_wrap.elf", offsetof(Elf64_Phdr, p_offset), 0xfffffffffffffffc);
  CHECK(error_of(overflow, ram) == overflow + ": segment 0: offset 0xfffffffffffffffc + file size 0x8 overflows");
}

TEST_CASE("load_elf writes nothing to RAM when a later segment is bad", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  ElfBuilder b;
  b.segment(kRamBase, {1, 2, 3, 4}, 4);
  b.segment(0x10, {5, 6, 7, 8}, 4);
  const std::string path = write_file(dir.file("half.elf"), b.build());
  CHECK_THAT(error_of(path, ram), ContainsSubstring("segment 1 [0x10, 0x14) is outside RAM"));
  CHECK(ram.resident_pages() == 0);
}

TEST_CASE("load_elf: section and symbol table errors", "[elf]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  ElfBuilder b = typical_image();
  const std::vector<uint8_t> bytes = b.build();
  const uint64_t shoff = b.section_table_offset;
  auto variant = [&](const std::string& name, auto&& change) {
    std::vector<uint8_t> copy = bytes;
    change(copy);
    return write_file(dir.file(name), copy);
  };

  const std::string shentsize =
      variant("shentsize.elf", [](auto& c) { patch<uint16_t>(c, offsetof(Elf64_Ehdr, e_shentsize), 40); });
  CHECK(error_of(shentsize, ram) == shentsize + ": section header entry size 40, expected 64");

  // A section table that runs past the end of the file (libelf alone would pretend there are
  // no sections, and the image would load without its symbols).
  const std::string shoff_past =
      variant("shoff.elf", [&](auto& c) { patch<uint64_t>(c, offsetof(Elf64_Ehdr, e_shoff), shoff + 64); });
  CHECK(error_of(shoff_past, ram) == shoff_past + ": section header table (4 entries at offset " +
                                         hex(shoff + 64) + ") extends past the end of the file (" +
                                         std::to_string(bytes.size()) + " bytes)");
  const std::string truncated = write_file(dir.file("cut.elf"), {bytes.begin(), bytes.end() - 1});
  CHECK(error_of(truncated, ram) == truncated + ": section header table (4 entries at offset " + hex(shoff) +
                                        ") extends past the end of the file (" + std::to_string(bytes.size() - 1) +
                                        " bytes)");
  // SHN_XNUM-style count: e_shnum 0 and the real count in section 0's sh_size.
  const std::string xnum = variant("shxnum.elf", [&](auto& c) {
    patch<uint16_t>(c, offsetof(Elf64_Ehdr, e_shnum), 0);
    patch<uint64_t>(c, shoff + offsetof(Elf64_Shdr, sh_size), 0x10000000);
  });
  CHECK(error_of(xnum, ram) == xnum + ": section header table (268435456 entries at offset " + hex(shoff) +
                                   ") extends past the end of the file (" + std::to_string(bytes.size()) + " bytes)");
  const std::string no_zero = variant("phxnum.elf", [&](auto& c) {
    patch<uint16_t>(c, offsetof(Elf64_Ehdr, e_phnum), PN_XNUM);
    patch<uint64_t>(c, offsetof(Elf64_Ehdr, e_shoff), 0);
  });
  CHECK(error_of(no_zero, ram) == no_zero + ": extended header numbering, but no section 0 inside the file to hold "
                                            "the counts (section header offset 0x0, file " +
                                            std::to_string(bytes.size()) + " bytes)");

  const size_t symtab = shoff + sizeof(Elf64_Shdr);  // section 1
  const std::string entsize =
      variant("symentsize.elf", [&](auto& c) { patch<uint64_t>(c, symtab + offsetof(Elf64_Shdr, sh_entsize), 16); });
  CHECK(error_of(entsize, ram) == entsize + ": symbol table (section 1): entry size 16, expected 24");

  const std::string link =
      variant("symlink.elf", [&](auto& c) { patch<uint32_t>(c, symtab + offsetof(Elf64_Shdr, sh_link), 9); });
  CHECK(error_of(link, ram) == link + ": symbol table (section 1): bad string table index 9");

  const std::string not_strtab =
      variant("symlink1.elf", [&](auto& c) { patch<uint32_t>(c, symtab + offsetof(Elf64_Shdr, sh_link), 1); });
  CHECK(error_of(not_strtab, ram) == not_strtab + ": symbol table (section 1): section 1 is not a valid string table");

  const std::string symtab_past = variant(
      "symoff.elf", [&](auto& c) { patch<uint64_t>(c, symtab + offsetof(Elf64_Shdr, sh_offset), 0x7fffffff00); });
  CHECK_THAT(error_of(symtab_past, ram), ContainsSubstring(symtab_past + ": "));

  // A symbol name index outside the string table is skipped, not read out of bounds.
  const size_t strtab_size = shoff + 2 * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_size);
  const std::string short_strtab = variant("strtab.elf", [&](auto& c) { patch<uint64_t>(c, strtab_size, 3); });
  ElfImage image = load_elf(short_strtab, ram);
  CHECK_FALSE(image.symbol("tohost").has_value());
}

TEST_CASE("load_elf survives truncation at every length and random corruption", "[elf][fuzz]") {
  ElfBuilder b = typical_image();
  const std::vector<uint8_t> valid = b.build();
  // An in-memory file: thousands of rewrites of a file on disk would wait on the disk.
  const int fd = memfd_create("hartbox-elf-fuzz", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  size_t loaded = 0, refused = 0;
  auto attempt = [&](const std::vector<uint8_t>& bytes) {
    REQUIRE(ftruncate(fd, 0) == 0);
    REQUIRE(pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
    GuestRam ram(kRamBase, kRamSize);
    try {
      load_elf(path, ram);
      ++loaded;
    } catch (const LoadError& e) {
      ++refused;
      // One line, naming the file.
      CHECK(std::string(e.what()).rfind(path + ": ", 0) == 0);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  };
  for (size_t len = 0; len < valid.size(); ++len) attempt({valid.begin(), valid.begin() + static_cast<long>(len)});
  // The segments' bytes end well before the tables at the end, so most truncations must fail.
  CHECK(refused >= valid.size() / 2);

  std::mt19937_64 random(12345);
  const size_t header_bytes = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> bytes = valid;
    const int mutations = 1 + static_cast<int>(random() % 4);
    for (int m = 0; m < mutations; ++m) {
      // Mostly the headers and the section table, where the interesting fields are.
      const uint64_t pick = random() % 4;
      size_t at;
      if (pick == 0)
        at = random() % header_bytes;
      else if (pick == 1)
        at = static_cast<size_t>(b.section_table_offset + random() % (valid.size() - b.section_table_offset));
      else
        at = random() % valid.size();
      bytes[at] = random() % 3 == 0 ? 0xff : static_cast<uint8_t>(random());
    }
    if (random() % 8 == 0) bytes.resize(random() % bytes.size());
    attempt(bytes);
  }
  CHECK(loaded > 0);
  CHECK(refused > 0);
  close(fd);
}

TEST_CASE("load_elf loads what the RISC-V toolchain produces", "[elf][toolchain]") {
  if (std::system("riscv64-unknown-elf-gcc --version > /dev/null 2>&1") != 0)
    SKIP("riscv64-unknown-elf-gcc is not installed (tools/setup-debian.sh installs it)");
  TempDir dir;
  const std::string source = dir.file("start.S"), script = dir.file("link.ld"), output = dir.file("start.elf");
  {
    std::ofstream s(source);
    s << ".option norvc\n"
         ".section .text.init\n.globl _start\n_start:\n  li a0, 42\n  j _start\n"
         ".section .tohost,\"aw\",@progbits\n.align 6\n.globl tohost\ntohost: .dword 0\n"
         ".align 6\n.globl fromhost\nfromhost: .dword 0\n"
         ".data\n.globl data_word\ndata_word: .dword 0x1122334455667788\n"
         ".bss\n.globl buffer\nbuffer: .space 4096\n";
    // The layout of riscv-tests' env/p/link.ld.
    std::ofstream l(script);
    l << "OUTPUT_ARCH(\"riscv\")\nENTRY(_start)\nSECTIONS {\n  . = 0x80000000;\n"
         "  .text.init : { *(.text.init) }\n  . = ALIGN(0x1000);\n  .tohost : { *(.tohost) }\n"
         "  . = ALIGN(0x1000);\n  .text : { *(.text) }\n  . = ALIGN(0x1000);\n  .data : { *(.data) }\n"
         "  .bss : { *(.bss) }\n  _end = .;\n}\n";
  }
  const std::string command = "riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -T " +
                              script + " -o " + output + " " + source;
  REQUIRE(std::system(command.c_str()) == 0);

  GuestRam ram(kRamBase, kRamSize);
  ElfImage image = load_elf(output, ram);
  CHECK(image.entry == kRamBase);
  CHECK(image.symbol("_start") == kRamBase);
  REQUIRE(image.symbol("tohost").has_value());
  REQUIRE(image.symbol("fromhost").has_value());
  CHECK(*image.symbol("fromhost") == *image.symbol("tohost") + 64);
  CHECK(image.lowest_address == kRamBase);
  CHECK(image.highest_address >= *image.symbol("buffer") + 4095);
  uint32_t first;
  ram.read(kRamBase, &first, sizeof first);
  CHECK(first == 0x02a00513);  // addi a0, zero, 42
  REQUIRE(image.symbol("data_word").has_value());
  uint64_t word;
  ram.read(*image.symbol("data_word"), &word, sizeof word);
  CHECK(word == 0x1122334455667788);
}

TEST_CASE("load_raw copies a binary image and checks that it fits", "[elf][raw]") {
  TempDir dir;
  GuestRam ram(kRamBase, kRamSize);
  std::vector<uint8_t> bytes(6000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  const std::string path = write_file(dir.file("image.bin"), bytes);

  load_raw(path, kRamBase + 0x10ff0, ram);  // crosses page boundaries
  std::vector<uint8_t> back(bytes.size());
  ram.read(kRamBase + 0x10ff0, back.data(), back.size());
  CHECK(back == bytes);

  auto error = [&](const std::string& p, uint64_t address) -> std::string {
    try {
      load_raw(p, address, ram);
    } catch (const LoadError& e) {
      return e.what();
    }
    return "(loaded without error)";
  };
  CHECK(error(path, kRamBase + kRamSize - 100) ==
        path + ": image of 6000 bytes at [0x800fff9c, 0x8010170c) is outside RAM [0x80000000, 0x80100000)");
  CHECK(error(path, 0x1000) ==
        path + ": image of 6000 bytes at [0x1000, 0x2770) is outside RAM [0x80000000, 0x80100000)");
  CHECK(error(path, 0xffffffffffffff00) ==
        path + ": image of 6000 bytes at 0xffffffffffffff00 overflows the address space");
  const std::string empty = write_file(dir.file("empty.bin"), {});
  CHECK(error(empty, kRamBase) == empty + ": empty image");
  const std::string missing = dir.file("missing.bin");
  CHECK(error(missing, kRamBase) == missing + ": cannot open: No such file or directory");
}
