// `hartbox disasm FILE.elf [--function NAME] [--range A:B]`: the program's code with its
// symbols, in the layout of binutils' objdump -d, with the instruction text from Capstone (the
// same text --trace shows). tests/disasm checks it against riscv64-unknown-elf-objdump.
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "core/isa/decoder.hpp"
#include "core/isa/disassembler.hpp"
#include "manager/cli/commands.hpp"
#include "manager/cli/parse.hpp"

namespace po = boost::program_options;

namespace hartbox::cli {
namespace {

struct Symbol {
  uint64_t address;
  uint64_t size;
  std::string name;
};

struct CodeSection {
  std::string name;
  uint64_t address;
  std::vector<uint8_t> bytes;
};

// Reads the executable sections and the symbols of an ELF. Throws std::runtime_error.
void read_elf(const std::string& path, std::vector<CodeSection>& sections, std::vector<Symbol>& symbols) {
  elf_version(EV_CURRENT);
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  auto cleanup = [&] {
    if (elf) elf_end(elf);
    ::close(fd);
  };
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    cleanup();
    throw std::runtime_error(path + ": not an ELF file");
  }
  GElf_Ehdr header;
  if (!gelf_getehdr(elf, &header) || header.e_machine != EM_RISCV || gelf_getclass(elf) != ELFCLASS64) {
    cleanup();
    throw std::runtime_error(path + ": not an RV64 RISC-V ELF file");
  }
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(elf, header.e_shstrndx, sh.sh_name);
    if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR)) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data || !data->d_buf) continue;
      const auto* bytes = static_cast<const uint8_t*>(data->d_buf);
      sections.push_back({name ? name : "?", sh.sh_addr, std::vector<uint8_t>(bytes, bytes + data->d_size)});
    } else if (sh.sh_type == SHT_SYMTAB) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data || sh.sh_entsize == 0) continue;
      const size_t count = sh.sh_size / sh.sh_entsize;
      for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
        const int type = GELF_ST_TYPE(sym.st_info);
        if (sym.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_NOTYPE)) continue;
        const char* symbol_name = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (!symbol_name || !*symbol_name || symbol_name[0] == '$' || std::strncmp(symbol_name, ".L", 2) == 0) continue;
        symbols.push_back({sym.st_value, sym.st_size, symbol_name});
      }
    }
  }
  cleanup();
  std::sort(symbols.begin(), symbols.end(),
            [](const Symbol& a, const Symbol& b) { return a.address != b.address ? a.address < b.address : a.name < b.name; });
}

}  // namespace

int disasm_command(int argc, char** argv) {
  po::options_description options("Usage: hartbox disasm FILE.elf [--function NAME] [--range A:B]\n\nOptions");
  options.add_options()("help,h", "explain the options")("function", po::value<std::string>(),
                                                         "only this function (from its symbol to its end)")(
      "range", po::value<std::string>(), "only addresses in [A, B)");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::string>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "hartbox disasm: %s\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help") || !vm.count("file")) {
    std::cout << options << "\n";
    return vm.count("help") ? 0 : kExitUsage;
  }
  const std::string path = vm["file"].as<std::string>();
  std::vector<CodeSection> sections;
  std::vector<Symbol> symbols;
  try {
    read_elf(path, sections, symbols);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox: %s\n", e.what());
    return kExitHostError;
  }
  uint64_t low = 0, high = ~uint64_t{0};
  try {
    if (vm.count("range")) {
      const std::string range = vm["range"].as<std::string>();
      const auto colon = range.find(':');
      if (colon == std::string::npos) throw UsageError("--range expects A:B");
      low = parse_address(range.substr(0, colon), "--range");
      high = parse_address(range.substr(colon + 1), "--range");
    }
    if (vm.count("function")) {
      const std::string name = vm["function"].as<std::string>();
      auto it = std::find_if(symbols.begin(), symbols.end(), [&](const Symbol& s) { return s.name == name; });
      if (it == symbols.end()) throw UsageError("no symbol '" + name + "' in " + path);
      low = it->address;
      high = it->size ? it->address + it->size : ~uint64_t{0};
      if (!it->size) {
        auto next = std::upper_bound(symbols.begin(), symbols.end(), it->address,
                                     [](uint64_t a, const Symbol& s) { return a < s.address; });
        if (next != symbols.end()) high = next->address;
      }
    }
  } catch (const UsageError& e) {
    std::fprintf(stderr, "hartbox disasm: %s\n", e.what());
    return kExitUsage;
  }

  std::multimap<uint64_t, std::string> labels;
  for (const Symbol& s : symbols) labels.emplace(s.address, s.name);
  isa::Disassembler disassembler;
  std::printf("\n%s:     file format elf64-littleriscv (instruction text: Capstone)\n", path.c_str());
  for (const CodeSection& section : sections) {
    const uint64_t end = section.address + section.bytes.size();
    if (end <= low || section.address >= high) continue;
    std::printf("\n\nDisassembly of section %s:\n", section.name.c_str());
    uint64_t pc = section.address;
    while (pc + 2 <= end) {
      const size_t off = static_cast<size_t>(pc - section.address);
      uint32_t raw = section.bytes[off] | (uint32_t{section.bytes[off + 1]} << 8);
      unsigned len = isa::insn_length(raw);
      if (len == 4) {
        if (pc + 4 > end) break;
        raw |= (uint32_t{section.bytes[off + 2]} << 16) | (uint32_t{section.bytes[off + 3]} << 24);
      }
      if (pc >= low && pc < high) {
        auto [first, last] = labels.equal_range(pc);
        if (first != last) std::printf("\n%016" PRIx64 " <%s>:\n", pc, std::prev(last)->second.c_str());
        std::string text = disassembler.text(raw, pc);
        const auto space = text.find(' ');
        if (space != std::string::npos) text[space] = '\t';
        if (len == 4)
          std::printf("%8" PRIx64 ":\t%08" PRIx32 "          \t%s\n", pc, raw, text.c_str());
        else
          std::printf("%8" PRIx64 ":\t%04" PRIx32 "                \t%s\n", pc, raw, text.c_str());
      }
      pc += len;
    }
  }
  return 0;
}

}  // namespace hartbox::cli
