// `hartbox disasm FILE.elf [--function NAME] [--range A:B]`: the program's code with its
// symbols, in the layout of binutils' objdump -d, with the instruction text from Capstone (the
// same text --trace shows). As objdump does, data objects inside code sections (STT_OBJECT, e.g.
// read-only tables linked into .text) are dumped as bytes rather than decoded, runs of zero
// halfwords between functions are shown as "...", and branch and jump targets are named:
// "jal 0x150  # 8000036c <puts>". tests/cli/disasm_crosscheck.py checks it against
// riscv64-unknown-elf-objdump on every rom.
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

// Reads the executable sections, the code symbols and the data objects of an ELF. Throws
// std::runtime_error.
void read_elf(const std::string& path, std::vector<CodeSection>& sections, std::vector<Symbol>& symbols,
              std::vector<Symbol>& objects, std::map<uint64_t, bool>& data_mapping) {
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
        if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE) continue;
        const char* symbol_name = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (!symbol_name || !*symbol_name) continue;
        // Mapping symbols (RISC-V ELF psABI): $d starts data, $x (or $x<isa>) starts code.
        if (symbol_name[0] == '$' && (symbol_name[1] == 'd' || symbol_name[1] == 'x') &&
            (symbol_name[2] == 0 || symbol_name[2] == '.' || symbol_name[1] == 'x'))
          data_mapping[sym.st_value] = symbol_name[1] == 'd';
        if (symbol_name[0] == '$' || std::strncmp(symbol_name, ".L", 2) == 0) continue;
        if (type == STT_OBJECT && sym.st_size > 0) objects.push_back({sym.st_value, sym.st_size, symbol_name});
        if (type == STT_FUNC || type == STT_NOTYPE || type == STT_OBJECT)
          symbols.push_back({sym.st_value, sym.st_size, symbol_name});
      }
    }
  }
  cleanup();
  const auto by_address = [](const Symbol& a, const Symbol& b) {
    return a.address != b.address ? a.address < b.address : a.name < b.name;
  };
  std::sort(symbols.begin(), symbols.end(), by_address);
  std::sort(objects.begin(), objects.end(), by_address);
}

// "<name+0x10>" for the symbol at or below `address`, or "" if there is none.
std::string symbolic(const std::vector<Symbol>& symbols, uint64_t address) {
  auto it = std::upper_bound(symbols.begin(), symbols.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (it == symbols.begin()) return "";
  --it;
  char offset[32] = "";
  if (address != it->address) std::snprintf(offset, sizeof offset, "+0x%" PRIx64, address - it->address);
  return "<" + it->name + offset + ">";
}

// objdump's dump of data bytes in a code section: up to 16 per line, in little-endian
// halfwords, then the printable characters.
void print_data(uint64_t address, const uint8_t* bytes, size_t count) {
  for (size_t line = 0; line < count; line += 16) {
    const size_t n = std::min<size_t>(16, count - line);
    std::string hex, text;
    for (size_t i = 0; i < n; i += 2) {
      char word[8];
      if (i + 1 < n)
        std::snprintf(word, sizeof word, "%02x%02x ", bytes[line + i + 1], bytes[line + i]);
      else
        std::snprintf(word, sizeof word, "%02x   ", bytes[line + i]);
      hex += word;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint8_t c = bytes[line + i];
      text += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
    }
    std::printf("%8" PRIx64 ":\t%-40s %s\n", address + line, hex.c_str(), text.c_str());
  }
}

// True if `address` belongs to a data object: the closest symbol at or below it is one.
bool in_object(const std::vector<Symbol>& symbols, const std::vector<Symbol>& objects, uint64_t address) {
  auto it = std::upper_bound(symbols.begin(), symbols.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (it == symbols.begin()) return false;
  const uint64_t at = std::prev(it)->address;
  return std::any_of(objects.begin(), objects.end(), [&](const Symbol& o) { return o.address == at; });
}

// The instructions of [pc, stop), one symbol's region, printed where they fall in [low, high).
// Zero bytes are skipped as "..." by objdump's rule (binutils' disassemble_bytes): a run of at
// least 8, or of 1-2 at the region's end; inside a region only a multiple of 4 is skipped, so
// that an instruction starting with a zero byte is not run over.
//
// Bytes that a mapping symbol marks as data ($d: e.g. an instruction written with .word) are
// shown as objdump shows them: .short/.word chunks, cut at the next mapping symbol. So is an
// encoding that is no instruction.
void print_code(const CodeSection& section, uint64_t pc, uint64_t stop, uint64_t low, uint64_t high,
                const isa::Disassembler& disassembler, const std::vector<Symbol>& symbols,
                const std::map<uint64_t, bool>& data_mapping) {
  constexpr uint64_t kSkipZeroes = 8, kSkipZeroesAtEnd = 3;
  auto byte = [&](uint64_t at) { return section.bytes[static_cast<size_t>(at - section.address)]; };
  while (pc < stop) {
    uint64_t zeros = pc;
    while (zeros < stop && byte(zeros) == 0) ++zeros;
    const uint64_t run = zeros - pc;
    if (run >= kSkipZeroes || (zeros == stop && run > 0 && run < kSkipZeroesAtEnd)) {
      if (pc >= low && pc < high) std::printf("\t...\n");
      pc += zeros == stop ? run : run & ~uint64_t{3};
      continue;
    }
    if (pc + 2 > stop) break;
    const auto mapping = data_mapping.upper_bound(pc);
    const bool data = mapping != data_mapping.begin() && std::prev(mapping)->second &&
                      std::prev(mapping)->first >= section.address;
    uint32_t raw = byte(pc) | (uint32_t{byte(pc + 1)} << 8);
    unsigned len = isa::insn_length(raw);
    if (data) {  // binutils' riscv_data_length: 4 bytes, or fewer before the next mapping symbol
      const uint64_t limit = mapping == data_mapping.end() ? stop : std::min(stop, mapping->first);
      len = limit - pc >= 4 ? 4 : 2;
    }
    if (len == 4) {
      if (pc + 4 > stop) break;
      raw |= (uint32_t{byte(pc + 2)} << 16) | (uint32_t{byte(pc + 3)} << 24);
    }
    if (pc >= low && pc < high) {
      std::string text = data ? "unknown" : disassembler.text(raw, pc);
      if (text == "unknown") {
        char directive[32];
        std::snprintf(directive, sizeof directive, len == 4 ? ".word 0x%08" PRIx32 : ".short 0x%04" PRIx32, raw);
        text = directive;
      }
      const auto space = text.find(' ');
      if (space != std::string::npos) text[space] = '\t';
      // A pc-relative branch or jump: name where it goes, as objdump does.
      const isa::DecodedInsn insn = isa::decode(raw);
      const isa::ImmFormat format = isa::op_info(insn.op).format;
      if (insn.op != isa::Op::ILLEGAL && (format == isa::ImmFormat::B || format == isa::ImmFormat::J)) {
        const uint64_t target = pc + static_cast<uint64_t>(insn.imm);
        char note[32];
        std::snprintf(note, sizeof note, "\t# %" PRIx64 " ", target);
        text += note + symbolic(symbols, target);
      }
      if (len == 4)
        std::printf("%8" PRIx64 ":\t%08" PRIx32 "          \t%s\n", pc, raw, text.c_str());
      else
        std::printf("%8" PRIx64 ":\t%04" PRIx32 "                \t%s\n", pc, raw, text.c_str());
    }
    pc += len;
  }
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
  std::vector<Symbol> symbols, objects;
  std::map<uint64_t, bool> data_mapping;  // address -> a mapping symbol there starts data
  try {
    read_elf(path, sections, symbols, objects, data_mapping);
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
    // Walk the section symbol by symbol, as objdump does: a region that starts at a data object
    // (or follows one with no other symbol in between) is dumped as data up to the next symbol.
    uint64_t pc = section.address;
    while (pc < end) {
      const auto next = labels.upper_bound(pc);
      const uint64_t stop = next == labels.end() ? end : std::min(next->first, end);
      const auto [first, last] = labels.equal_range(pc);
      const bool shown = pc < high && stop > low;
      if (shown && first != last && pc >= low)
        std::printf("\n%016" PRIx64 " <%s>:\n", pc, std::prev(last)->second.c_str());
      if (shown && in_object(symbols, objects, pc))
        print_data(std::max(pc, low), &section.bytes[static_cast<size_t>(std::max(pc, low) - section.address)],
                   static_cast<size_t>(std::min(stop, high) - std::max(pc, low)));
      else if (shown)
        print_code(section, pc, stop, low, high, disassembler, symbols, data_mapping);
      pc = stop;
    }
  }
  return 0;
}

}  // namespace hartbox::cli
