#include "devices/elf_loader.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <vector>

namespace hartbox {

std::optional<uint64_t> ElfImage::symbol(std::string_view name) const {
  auto it = symbols.find(name);
  if (it == symbols.end()) return std::nullopt;
  return it->second;
}

namespace {

// Real programs have a handful of program headers (Linux refuses tables over 64 KiB, about 1170
// entries); the cap keeps a forged PN_XNUM count from costing time before anything else fails.
constexpr uint64_t kMaxProgramHeaders = 65536;

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
  return buf;
}

// Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive, its bug 105329)
// on "literal" + std::string&&.
std::string range(uint64_t begin, uint64_t end) {
  std::string text = "[";
  text += hex(begin);
  text += ", ";
  text += hex(end);
  text += ")";
  return text;
}

std::string ram_range(const GuestRam& ram) {
  // base + size cannot overflow in a GuestRam that accepted them only if it fits; print the end
  // saturated anyway rather than trust it.
  uint64_t end;
  if (__builtin_add_overflow(ram.base(), ram.size(), &end)) end = ~uint64_t{0};
  return range(ram.base(), end);
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) { throw LoadError(path + ": " + problem); }

std::string libelf_error() {
  const char* message = elf_errmsg(-1);
  return message ? message : "unknown libelf error";
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

class ElfHandle {
 public:
  explicit ElfHandle(Elf* elf) : elf_(elf) {}
  ElfHandle(const ElfHandle&) = delete;
  ElfHandle& operator=(const ElfHandle&) = delete;
  ~ElfHandle() {
    if (elf_) elf_end(elf_);
  }
  Elf* get() const { return elf_; }

 private:
  Elf* elf_;
};

// Opens `path` for reading and returns its size; only regular files are accepted (a FIFO or a
// device could block or never end).
int open_regular_file(const std::string& path, uint64_t& size) {
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    fail(path, std::string("cannot stat: ") + std::strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, S_ISDIR(st.st_mode) ? "is a directory, not a file" : "not a regular file");
  }
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

// Reads exactly `len` bytes at `offset` (short only if the file ends first); returns the count.
size_t read_at(const std::string& path, int fd, void* dst, size_t len, uint64_t offset) {
  auto* out = static_cast<uint8_t*>(dst);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, out + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_NONE: return "no machine (EM_NONE)";
    case EM_386: return "i386";
    case EM_68K: return "m68k";
    case EM_MIPS: return "MIPS";
    case EM_PPC: return "PowerPC";
    case EM_PPC64: return "PowerPC64";
    case EM_S390: return "s390";
    case EM_ARM: return "Arm";
    case EM_SH: return "SuperH";
    case EM_SPARCV9: return "SPARC v9";
    case EM_IA_64: return "IA-64";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "AArch64";
    case EM_BPF: return "BPF";
#ifdef EM_LOONGARCH
    case EM_LOONGARCH: return "LoongArch";
#endif
    default: return "machine " + std::to_string(machine);
  }
}

struct Segment {
  uint64_t paddr, offset, filesz, memsz;
};

// Header checks that need only the first bytes of the file, done before libelf sees it so that
// the common mistakes get a precise message.
void check_identification(const std::string& path, int fd, uint64_t size) {
  if (size == 0) fail(path, "empty file, not an ELF executable");
  unsigned char ident[EI_NIDENT] = {};
  size_t got = read_at(path, fd, ident, static_cast<size_t>(std::min<uint64_t>(size, EI_NIDENT)), 0);
  if (got < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0) fail(path, "not an ELF file (bad magic)");
  if (got < EI_NIDENT) fail(path, "truncated ELF header (" + std::to_string(size) + " bytes)");
  if (ident[EI_CLASS] == ELFCLASS32) fail(path, "ELFCLASS32: Hartbox runs RV64 only");
  if (ident[EI_CLASS] != ELFCLASS64) fail(path, "bad ELF class " + std::to_string(ident[EI_CLASS]));
  if (ident[EI_DATA] == ELFDATA2MSB) fail(path, "big-endian ELF (ELFDATA2MSB): RISC-V is little-endian");
  if (ident[EI_DATA] != ELFDATA2LSB) fail(path, "bad ELF data encoding " + std::to_string(ident[EI_DATA]));
  if (ident[EI_VERSION] != EV_CURRENT) fail(path, "unsupported ELF version " + std::to_string(ident[EI_VERSION]));
  if (size < sizeof(Elf64_Ehdr))
    fail(path, "truncated ELF header (" + std::to_string(size) + " bytes, the header alone is " +
                   std::to_string(sizeof(Elf64_Ehdr)) + ")");
}

// True if the table [offset, offset + count * entry) lies inside a file of `size` bytes.
bool table_fits(uint64_t offset, uint64_t count, uint64_t entry, uint64_t size) {
  uint64_t bytes, end;
  return !__builtin_mul_overflow(count, entry, &bytes) && !__builtin_add_overflow(offset, bytes, &end) && end <= size;
}

// The raw ELF header, to check the table bounds before libelf reads the tables (libelf turns
// some malformations into a vague "invalid data", and silently ignores a truncated section table).
Elf64_Ehdr raw_header(const char* raw) {
  Elf64_Ehdr ehdr;
  std::memcpy(&ehdr, raw, sizeof ehdr);
  return ehdr;
}

// Section 0 holds the real section count (sh_size) and program header count (sh_info) when the
// header's fields overflow (SHN_UNDEF / PN_XNUM, gABI "Extended Section Header Numbering").
Elf64_Shdr raw_section_zero(const std::string& path, const char* raw, const Elf64_Ehdr& ehdr, uint64_t size) {
  if (ehdr.e_shoff == 0 || !table_fits(ehdr.e_shoff, 1, sizeof(Elf64_Shdr), size))
    fail(path, "extended header numbering, but no section 0 inside the file to hold the counts (section header "
               "offset " + hex(ehdr.e_shoff) + ", file " + std::to_string(size) + " bytes)");
  Elf64_Shdr sh;
  std::memcpy(&sh, raw + ehdr.e_shoff, sizeof sh);
  return sh;
}

std::vector<Segment> collect_segments(const std::string& path, Elf* elf, const char* raw, const GElf_Ehdr& ehdr,
                                      uint64_t size, const GuestRam& ram) {
  const Elf64_Ehdr header = raw_header(raw);
  uint64_t count = header.e_phnum;
  if (count == PN_XNUM) count = raw_section_zero(path, raw, header, size).sh_info;
  if (count == 0) fail(path, "no program headers: nothing to load");
  if (count > kMaxProgramHeaders) fail(path, "absurd program header count " + std::to_string(count));
  if (header.e_phentsize != sizeof(Elf64_Phdr))
    fail(path, "program header entry size " + std::to_string(header.e_phentsize) + ", expected " +
                   std::to_string(sizeof(Elf64_Phdr)));
  if (!table_fits(header.e_phoff, count, sizeof(Elf64_Phdr), size))
    fail(path, "program header table (" + std::to_string(count) + " entries at offset " + hex(header.e_phoff) +
                   ") extends past the end of the file (" + std::to_string(size) + " bytes)");
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) fail(path, "bad program header table: " + libelf_error());
  if (phnum != count) fail(path, "libelf counts " + std::to_string(phnum) + " program headers, the header " +
                                     std::to_string(count));

  std::vector<Segment> segments;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph))
      fail(path, "program header " + std::to_string(i) + ": " + libelf_error());
    if (ph.p_type != PT_LOAD) continue;
    const std::string what = "segment " + std::to_string(i);
    if (ph.p_filesz > ph.p_memsz)
      fail(path, what + ": file size " + hex(ph.p_filesz) + " is larger than its memory size " + hex(ph.p_memsz));
    if (ph.p_memsz == 0) continue;
    uint64_t file_end, mem_end;
    if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &file_end))
      fail(path, what + ": offset " + hex(ph.p_offset) + " + file size " + hex(ph.p_filesz) + " overflows");
    if (file_end > size)
      fail(path, what + ": file bytes " + range(ph.p_offset, file_end) + " are past the end of the file (" +
                     std::to_string(size) + " bytes)");
    if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &mem_end) && mem_end != 0)
      fail(path, what + ": address " + hex(ph.p_paddr) + " + size " + hex(ph.p_memsz) + " overflows");
    if (!ram.contains(ph.p_paddr, ph.p_memsz)) {
      std::string message = what + " " + range(ph.p_paddr, mem_end) + " is outside RAM " + ram_range(ram);
      if (ehdr.e_type == ET_DYN) message += " (ET_DYN images load at their link addresses, without relocation)";
      fail(path, message);
    }
    segments.push_back({ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz});
  }
  if (segments.empty()) fail(path, "no loadable segments (PT_LOAD with a non-zero size)");
  return segments;
}

std::map<std::string, uint64_t, std::less<>> read_symbols(const std::string& path, Elf* elf, const char* raw,
                                                          uint64_t size) {
  std::map<std::string, uint64_t, std::less<>> symbols;
  const Elf64_Ehdr header = raw_header(raw);
  if (header.e_shoff == 0) return symbols;  // no section header table: a stripped image, still loadable
  uint64_t sections = header.e_shnum;
  if (sections == 0) sections = raw_section_zero(path, raw, header, size).sh_size;
  if (sections == 0) return symbols;
  if (header.e_shentsize != sizeof(Elf64_Shdr))
    fail(path, "section header entry size " + std::to_string(header.e_shentsize) + ", expected " +
                   std::to_string(sizeof(Elf64_Shdr)));
  if (!table_fits(header.e_shoff, sections, sizeof(Elf64_Shdr), size))
    fail(path, "section header table (" + std::to_string(sections) + " entries at offset " + hex(header.e_shoff) +
                   ") extends past the end of the file (" + std::to_string(size) + " bytes)");
  size_t shnum = 0;
  if (elf_getshdrnum(elf, &shnum) != 0) fail(path, "bad section header table: " + libelf_error());
  if (shnum != sections)
    fail(path, "libelf counts " + std::to_string(shnum) + " sections, the header " + std::to_string(sections));

  auto section_fits = [&](const GElf_Shdr& sh) {
    return sh.sh_type == SHT_NOBITS || table_fits(sh.sh_offset, 1, sh.sh_size, size);
  };
  Elf_Scn* symtab = nullptr;
  GElf_Shdr symtab_header{};
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) fail(path, "section " + std::to_string(elf_ndxscn(scn)) + ": " + libelf_error());
    if (sh.sh_type == SHT_SYMTAB) {
      symtab = scn;
      symtab_header = sh;
      break;
    }
  }
  if (!symtab) return symbols;

  const std::string what = "symbol table (section " + std::to_string(elf_ndxscn(symtab)) + ")";
  if (!section_fits(symtab_header)) fail(path, what + " extends past the end of the file");
  if (symtab_header.sh_entsize != sizeof(Elf64_Sym))
    fail(path, what + ": entry size " + std::to_string(symtab_header.sh_entsize) + ", expected " +
                   std::to_string(sizeof(Elf64_Sym)));
  if (symtab_header.sh_link == SHN_UNDEF || symtab_header.sh_link >= shnum)
    fail(path, what + ": bad string table index " + std::to_string(symtab_header.sh_link));
  Elf_Scn* strtab = elf_getscn(elf, symtab_header.sh_link);
  GElf_Shdr strtab_header;
  if (!strtab || !gelf_getshdr(strtab, &strtab_header)) fail(path, what + ": string table: " + libelf_error());
  if (strtab_header.sh_type != SHT_STRTAB || !section_fits(strtab_header))
    fail(path, what + ": section " + std::to_string(symtab_header.sh_link) + " is not a valid string table");

  Elf_Data* data = elf_getdata(symtab, nullptr);
  if (!data) fail(path, what + ": " + libelf_error());
  // gelf_getsym takes an int index; a table of 2^31 symbols would be a 128 GiB file.
  const size_t count = std::min<size_t>(data->d_size / sizeof(Elf64_Sym), INT_MAX);
  // Globals first, then weak, then locals: the first definition of a name at the best binding wins.
  for (int binding : {STB_GLOBAL, STB_WEAK, STB_LOCAL}) {
    for (size_t i = 1; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
      if (static_cast<int>(GELF_ST_BIND(sym.st_info)) != binding || sym.st_shndx == SHN_UNDEF || sym.st_name == 0)
        continue;
      unsigned type = GELF_ST_TYPE(sym.st_info);
      if (type == STT_SECTION || type == STT_FILE) continue;
      // libelf checks that the name lies inside the string table and is terminated there.
      const char* name = elf_strptr(elf, symtab_header.sh_link, sym.st_name);
      if (!name || *name == '\0') continue;
      symbols.try_emplace(name, sym.st_value);
    }
  }
  return symbols;
}

// Zeroes [paddr, paddr + len) in RAM without allocating pages that were never touched (they
// read as zero already), so a large .bss costs nothing until the guest uses it.
void zero_fill(GuestRam& ram, uint64_t paddr, uint64_t len) {
  while (len > 0) {
    uint64_t n = std::min(len, kPageSize - (paddr & kPageMask));
    if (ram.page_if_resident(paddr)) ram.fill(paddr, 0, static_cast<size_t>(n));
    paddr += n;
    len -= n;
  }
}

bool libelf_initialised() {
  // elf_version() sets libelf's process-wide default once; a thread-safe static keeps it from
  // being written concurrently when several machines load at the same time.
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
}

}  // namespace

ElfImage load_elf(const std::string& path, GuestRam& ram) {
  uint64_t size = 0;
  FileDescriptor file(open_regular_file(path, size));
  check_identification(path, file.get(), size);
  if (!libelf_initialised()) fail(path, "libelf: " + libelf_error());

  ElfHandle elf(elf_begin(file.get(), ELF_C_READ_MMAP, nullptr));
  if (!elf.get()) fail(path, "libelf: " + libelf_error());
  if (elf_kind(elf.get()) != ELF_K_ELF) fail(path, "not an ELF file");
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf.get(), &ehdr)) fail(path, "bad ELF header: " + libelf_error());

  switch (ehdr.e_type) {
    case ET_EXEC:
    case ET_DYN: break;
    case ET_REL: fail(path, "a relocatable object (ET_REL), not an executable: link it first");
    case ET_CORE: fail(path, "a core dump (ET_CORE), not an executable");
    default: fail(path, "not an executable (e_type " + std::to_string(ehdr.e_type) + ")");
  }
  if (ehdr.e_machine != EM_RISCV)
    fail(path, "built for " + machine_name(ehdr.e_machine) + " (e_machine " + std::to_string(ehdr.e_machine) +
                   "), not RISC-V");

  size_t raw_size = 0;
  const char* raw = elf_rawfile(elf.get(), &raw_size);
  if (!raw) fail(path, "libelf: " + libelf_error());
  size = std::min<uint64_t>(size, raw_size);  // the file may have shrunk since fstat
  if (size < sizeof(Elf64_Ehdr)) fail(path, "truncated ELF header (" + std::to_string(size) + " bytes)");

  ElfImage image;
  image.entry = ehdr.e_entry;
  std::vector<Segment> segments = collect_segments(path, elf.get(), raw, ehdr, size, ram);
  image.symbols = read_symbols(path, elf.get(), raw, size);

  // Everything checked: now copy. Later segments overwrite earlier ones where they overlap.
  image.lowest_address = ~uint64_t{0};
  for (const Segment& s : segments) {
    ram.write(s.paddr, raw + s.offset, static_cast<size_t>(s.filesz));
    zero_fill(ram, s.paddr + s.filesz, s.memsz - s.filesz);
    image.lowest_address = std::min(image.lowest_address, s.paddr);
    image.highest_address = std::max(image.highest_address, s.paddr + (s.memsz - 1));
  }
  return image;
}

void load_raw(const std::string& path, uint64_t address, GuestRam& ram) {
  uint64_t size = 0;
  FileDescriptor file(open_regular_file(path, size));
  if (size == 0) fail(path, "empty image");
  uint64_t end;
  if (__builtin_add_overflow(address, size, &end) && end != 0)
    fail(path, "image of " + std::to_string(size) + " bytes at " + hex(address) + " overflows the address space");
  if (!ram.contains(address, size))
    fail(path, "image of " + std::to_string(size) + " bytes at " + range(address, end) + " is outside RAM " +
                   ram_range(ram));
  // Through GuestRam::write, a page at a time, so that the RAM's write observer (the engines'
  // decoded code) hears of it: a reboot reloads the image over code the guest may have patched.
  std::vector<uint8_t> buffer(kPageSize);
  uint64_t offset = 0;
  while (offset < size) {
    const uint64_t paddr = address + offset;
    const size_t n = static_cast<size_t>(std::min(size - offset, kPageSize - (paddr & kPageMask)));
    if (read_at(path, file.get(), buffer.data(), n, offset) != n)
      fail(path, "file shrank while it was being read (" + std::to_string(offset) + " of " + std::to_string(size) +
                     " bytes read)");
    ram.write(paddr, buffer.data(), n);
    offset += n;
  }
}

}  // namespace hartbox
