// Machine snapshots (to a file) and clones (in memory): devices/snapshot.hpp describes the file
// format and the rules; this file writes and reads it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/state_io.hpp"
#include "devices/htif.hpp"
#include "devices/machine.hpp"
#include "devices/semihosting.hpp"

namespace hartbox {

namespace {

constexpr char kMagic[8] = {'H', 'B', 'S', 'N', 'A', 'P', 0, 0};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kFixedHeader = 48;
constexpr size_t kMaxHeader = size_t{1} << 20;
constexpr uint64_t kEndMarker = 0x00444E454E534248ull;  // "HBSNEND\0"
constexpr int kCompressionLevel = 3;

// Limits a reader applies to counts and lengths, so that a corrupted length cannot ask for
// gigabytes.
constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxArgs = 4096;
constexpr size_t kMaxArg = 64 * 1024;
constexpr size_t kMaxSymbols = size_t{1} << 22;
constexpr size_t kMaxDeviceTree = size_t{16} << 20;
constexpr uint64_t kMaxRam = uint64_t{1} << 40;  // as --memory

std::string errno_text(int err) { return std::strerror(err); }

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  const auto abs = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::string text = abs.lexically_normal().string();
  if (text.size() > 1 && text.back() == '/') text.pop_back();  // "dir/." normalises to "dir/"
  return text;
}

void put_le(uint8_t* p, uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}
uint64_t get_le(const uint8_t* p, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// --- The configuration record ---------------------------------------------------------------------

void write_config(StateWriter& out, const MachineConfig& c) {
  out.begin_section(state_tag("CONF"));
  out.u64(c.ram_size);
  out.u32(c.harts);
  out.string(c.engine);
  out.u8(c.time == MachineClock::Mode::Real ? 1 : 0);
  out.boolean(c.semihosting);
  out.string(absolute_path(c.semihosting_root.empty() ? "." : c.semihosting_root));
  out.boolean(c.semihosting_confined);
  out.u64(c.command_line.size());
  for (const std::string& arg : c.command_line) out.string(arg);
  out.u64(c.disks.size());
  for (const DiskSpec& d : c.disks) {
    out.string(absolute_path(d.path));
    out.boolean(d.read_only);
    out.string(absolute_path(d.overlay));
    out.u64(d.backing.size());
    for (const std::string& layer : d.backing) out.string(absolute_path(layer));
  }
  out.u64(c.nics.size());
  out.boolean(c.rng);
  out.boolean(c.legacy_virtio);
  out.end_section();
}

MachineConfig read_config(StateReader& in) {
  MachineConfig c;
  in.begin_section(state_tag("CONF"));
  c.ram_size = in.u64();
  in.expect(c.ram_size != 0 && c.ram_size % kPageSize == 0 && c.ram_size <= kMaxRam,
            "corrupted: RAM size " + std::to_string(c.ram_size));
  c.harts = in.u32();
  in.expect(c.harts >= 1 && c.harts <= kMaxHarts, "corrupted: " + std::to_string(c.harts) + " harts");
  c.engine = in.string(64);
  const uint8_t time = in.u8();
  in.expect(time <= 1, "corrupted: time mode " + std::to_string(time));
  c.time = time ? MachineClock::Mode::Real : MachineClock::Mode::Virtual;
  c.semihosting = in.boolean();
  c.semihosting_root = in.string(kMaxPath);
  c.semihosting_confined = in.boolean();
  c.command_line.resize(static_cast<size_t>(in.count(kMaxArgs, "command-line arguments")));
  for (std::string& arg : c.command_line) arg = in.string(kMaxArg);
  c.disks.resize(static_cast<size_t>(in.count(virt::kVirtioSlots, "disks")));
  for (DiskSpec& d : c.disks) {
    d.path = in.string(kMaxPath);
    d.read_only = in.boolean();
    d.overlay = in.string(kMaxPath);
    d.backing.resize(static_cast<size_t>(in.count(1024, "frozen overlays")));
    for (std::string& layer : d.backing) layer = in.string(kMaxPath);
  }
  c.nics.assign(static_cast<size_t>(in.count(virt::kVirtioSlots, "network cards")), nullptr);
  c.rng = in.boolean();
  c.legacy_virtio = in.boolean();
  in.end_section();
  return c;
}

// The snapshot's guest configuration with the host's side taken from `host`.
MachineConfig with_host_side(MachineConfig guest, const MachineConfig& host, const std::string& where) {
  if (host.nics.size() != guest.nics.size())
    throw SnapshotError(where + ": the machine has " + std::to_string(guest.nics.size()) +
                        " network cards, but " + std::to_string(host.nics.size()) + " backends were given");
  guest.nics = host.nics;
  guest.console = host.console;
  guest.console_input = host.console_input;
  guest.on_external_event = host.on_external_event;
  guest.engine = host.engine;
  guest.disk_bytes_per_second = host.disk_bytes_per_second;
  if (!host.semihosting_root.empty()) guest.semihosting_root = host.semihosting_root;
  return guest;
}

// --- The file header -----------------------------------------------------------------------------

struct Header {
  uint32_t version = 0;
  size_t header_size = 0;
  uint64_t payload_size = 0;
  uint64_t state_size = 0;
  uint64_t payload_hash = 0;
};

// Checks the fixed header and the header hash of a whole file's bytes; returns the fields.
Header parse_header(const std::vector<uint8_t>& file, const std::string& path) {
  auto fail = [&path](const std::string& problem) -> void { throw SnapshotError(path + ": " + problem); };
  if (file.size() < kFixedHeader)
    fail(file.empty() ? "empty file, not a Hartbox snapshot" : "truncated: too short to be a Hartbox snapshot");
  if (std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) fail("not a Hartbox snapshot (bad magic)");
  Header h;
  h.version = static_cast<uint32_t>(get_le(&file[8], 4));
  if (h.version != kFormatVersion)
    fail("snapshot format version " + std::to_string(h.version) + " is not supported (this Hartbox reads version " +
         std::to_string(kFormatVersion) + ")");
  h.header_size = static_cast<size_t>(get_le(&file[12], 4));
  h.payload_size = get_le(&file[16], 8);
  h.state_size = get_le(&file[24], 8);
  h.payload_hash = get_le(&file[32], 8);
  const uint64_t header_hash = get_le(&file[40], 8);
  if (h.header_size <= kFixedHeader || h.header_size > kMaxHeader) fail("corrupted: bad header size");
  if (file.size() < h.header_size || file.size() - h.header_size != h.payload_size)
    fail("truncated or extended: the file has " + std::to_string(file.size()) + " bytes, its header says " +
         std::to_string(h.header_size + h.payload_size));
  std::vector<uint8_t> header(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(h.header_size));
  put_le(&header[40], 0, 8);
  if (hash64(header.data(), header.size()) != header_hash) fail("corrupted: header checksum mismatch");
  return h;
}

std::vector<uint8_t> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SnapshotError(path + ": cannot open: " + errno_text(errno));
  std::vector<uint8_t> bytes;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw SnapshotError(path + ": is a directory, not a snapshot");
  }
  if (st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw SnapshotError(path + ": cannot read: " + errno_text(err));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  ::close(fd);
  return bytes;
}

// --- zstd, streaming -----------------------------------------------------------------------------

struct CctxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Compresses into a file descriptor, hashing what it writes.
class CompressedFileWriter {
 public:
  CompressedFileWriter(int fd, uint64_t content_size, std::string error_prefix)
      : fd_(fd), cctx_(ZSTD_createCCtx()), buffer_(ZSTD_CStreamOutSize()), prefix_(std::move(error_prefix)) {
    if (!cctx_) throw SnapshotError(prefix_ + "out of memory for zstd");
    check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, kCompressionLevel));
    check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1));
    check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_contentSizeFlag, 1));
    check(ZSTD_CCtx_setPledgedSrcSize(cctx_.get(), content_size));
  }
  void write(const void* data, size_t len) {
    ZSTD_inBuffer in{data, len, 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
      check(ZSTD_compressStream2(cctx_.get(), &out, &in, ZSTD_e_continue));
      emit(out.pos);
    }
  }
  void u64(uint64_t value) {
    uint8_t b[8];
    put_le(b, value, 8);
    write(b, 8);
  }
  void finish() {
    ZSTD_inBuffer in{nullptr, 0, 0};
    size_t remaining;
    do {
      ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
      remaining = check(ZSTD_compressStream2(cctx_.get(), &out, &in, ZSTD_e_end));
      emit(out.pos);
    } while (remaining != 0);
  }
  uint64_t written() const { return written_; }
  uint64_t hash() const { return hash_.digest(); }

 private:
  size_t check(size_t result) {
    if (ZSTD_isError(result)) throw SnapshotError(prefix_ + "zstd: " + ZSTD_getErrorName(result));
    return result;
  }
  void emit(size_t len) {
    hash_.update(buffer_.data(), len);
    written_ += len;
    for (size_t done = 0; done < len;) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, len - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw SnapshotError(prefix_ + errno_text(n < 0 ? errno : EIO));
      done += static_cast<size_t>(n);
    }
  }

  int fd_;
  std::unique_ptr<ZSTD_CCtx, CctxFree> cctx_;
  std::vector<uint8_t> buffer_;
  std::string prefix_;
  Hash64 hash_;
  uint64_t written_ = 0;
};

// Decompresses a payload held in memory, exactly: reading past the content or leaving any of it
// unread is corruption.
class CompressedReader {
 public:
  CompressedReader(std::span<const uint8_t> payload, std::string path)
      : dctx_(ZSTD_createDCtx()), in_{payload.data(), payload.size(), 0}, path_(std::move(path)) {
    if (!dctx_) throw SnapshotError(path_ + ": out of memory for zstd");
  }
  void read(void* dst, size_t len) {
    ZSTD_outBuffer out{dst, len, 0};
    while (out.pos < out.size) {
      if (done_) fail("truncated: the state ends early");
      const size_t before_in = in_.pos, before_out = out.pos;
      const size_t r = ZSTD_decompressStream(dctx_.get(), &out, &in_);
      if (ZSTD_isError(r)) fail(std::string("corrupted: zstd: ") + ZSTD_getErrorName(r));
      if (r == 0) done_ = true;
      if (!done_ && in_.pos == before_in && out.pos == before_out) fail("truncated: the compressed payload ends early");
    }
  }
  uint64_t u64() {
    uint8_t b[8];
    read(b, 8);
    return get_le(b, 8);
  }
  // The frame must end here, with its checksum verified, and nothing after it.
  void finish() {
    while (!done_) {
      uint8_t extra;
      ZSTD_outBuffer out{&extra, 1, 0};
      const size_t before_in = in_.pos;
      const size_t r = ZSTD_decompressStream(dctx_.get(), &out, &in_);
      if (ZSTD_isError(r)) fail(std::string("corrupted: zstd: ") + ZSTD_getErrorName(r));
      if (out.pos != 0) fail("corrupted: data after the end of the state");
      if (r == 0) done_ = true;
      else if (in_.pos == before_in) fail("truncated: the compressed payload ends early");
    }
    if (in_.pos != in_.size) fail("corrupted: bytes after the compressed payload");
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const { throw SnapshotError(path_ + ": " + problem); }
  std::unique_ptr<ZSTD_DCtx, DctxFree> dctx_;
  ZSTD_inBuffer in_;
  std::string path_;
  bool done_ = false;
};

// Closes a descriptor and removes a half-written file unless released.
class PendingFile {
 public:
  PendingFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }
  void keep() { path_.clear(); }

 private:
  int fd_;
  std::string path_;
};

std::string random_token() {
  std::random_device entropy;
  const uint64_t value = (uint64_t{entropy()} << 32) ^ entropy();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

// --- TemporaryFiles ------------------------------------------------------------------------------

TemporaryFiles::~TemporaryFiles() {
  for (const std::string& path : paths_) ::unlink(path.c_str());
}

bool TemporaryFiles::contains(const std::string& path) const {
  for (const std::string& p : paths_)
    if (p == path) return true;
  return false;
}

// --- Machine state -------------------------------------------------------------------------------

void Machine::save_state(StateWriter& out) const {
  out.begin_section(state_tag("MACH"));
  out.u32(static_cast<uint32_t>(harts_.size()));
  out.u64(config_.ram_size);
  out.boolean(exit_code_.has_value());
  out.u32(static_cast<uint32_t>(exit_code_.value_or(0)));
  out.boolean(reset_requested_);
  out.boolean(program_.has_value());
  if (program_) {
    out.u64(program_->entry);
    out.u64(program_->lowest_address);
    out.u64(program_->highest_address);
    out.u64(program_->symbols.size());
    for (const auto& [name, value] : program_->symbols) {
      out.string(name);
      out.u64(value);
    }
  }
  out.boolean(boot_spec_.has_value());
  if (boot_spec_) {
    out.string(absolute_path(boot_spec_->bios));
    out.string(absolute_path(boot_spec_->kernel));
    out.string(absolute_path(boot_spec_->initrd));
    out.string(boot_spec_->append);
  }
  out.blob(device_tree_);
  out.boolean(htif_ != nullptr);
  out.boolean(semihosting_ != nullptr);
  clock_.save(out);
  for (const auto& hart : harts_) hart->save(out);
  board_->save(out);
  if (htif_) htif_->save(out);
  if (semihosting_) semihosting_->save(out);
  out.end_section();
}

void Machine::load_state(StateReader& in) {
  in.begin_section(state_tag("MACH"));
  in.expect(in.u32() == harts_.size(), "the snapshot's machine has another number of harts");
  in.expect(in.u64() == config_.ram_size, "the snapshot's machine has another RAM size");
  const bool exited = in.boolean();
  const auto code = static_cast<int>(in.u32());
  exit_code_ = exited ? std::optional<int>(code) : std::nullopt;
  reset_requested_ = in.boolean();
  program_.reset();
  if (in.boolean()) {
    ElfImage image;
    image.entry = in.u64();
    image.lowest_address = in.u64();
    image.highest_address = in.u64();
    const uint64_t symbols = in.count(kMaxSymbols, "symbols");
    for (uint64_t i = 0; i < symbols; ++i) {
      std::string name = in.string(kMaxPath);
      image.symbols[std::move(name)] = in.u64();
    }
    program_ = std::move(image);
  }
  boot_spec_.reset();
  if (in.boolean()) {
    BootSpec spec;
    spec.bios = in.string(kMaxPath);
    spec.kernel = in.string(kMaxPath);
    spec.initrd = in.string(kMaxPath);
    spec.append = in.string(kMaxArg);
    boot_spec_ = std::move(spec);
  }
  device_tree_ = in.blob(kMaxDeviceTree);
  const bool has_htif = in.boolean();
  const bool has_semihosting = in.boolean();
  in.expect(has_semihosting == (semihosting_ != nullptr), "the snapshot's machine differs in semihosting");
  if (has_htif) {
    // As load_elf() does: HTIF sits on the program's tohost/fromhost words.
    const auto tohost = program_ ? program_->symbol("tohost") : std::nullopt;
    in.expect(tohost.has_value(), "corrupted: HTIF without a program that has a tohost symbol");
    try {
      htif_ = std::make_unique<Htif>(ram_, *tohost, program_->symbol("fromhost"), [this](int c) { exit(c); },
                                     config_.console, config_.console_input);
    } catch (const std::invalid_argument& e) {
      in.fail(std::string("corrupted: ") + e.what());
    }
    htif_->attach(bus_);
  }
  clock_.load(in);
  for (auto& hart : harts_) hart->load(in);
  board_->load(in);
  if (htif_) htif_->load(in);
  if (semihosting_) semihosting_->load(in);
  in.end_section();
}

// --- Snapshot files ------------------------------------------------------------------------------

void Machine::snapshot(const std::string& path) {
  // The disks first: the snapshot refers to their files, which must hold what the guest wrote.
  for (size_t i = 0; i < config_.disks.size(); ++i) {
    const DiskSpec& disk = config_.disks[i];
    std::vector<std::string> files = disk.backing;
    files.push_back(disk.path);
    if (!disk.overlay.empty()) files.push_back(disk.overlay);
    for (const std::string& file : files) {
      if (temporary_files_.contains(file))
        throw SnapshotError(path + ": cannot snapshot: the disk overlay " + file +
                            " is temporary (deleted with this clone; clone with keep_overlays to snapshot clones)");
      struct stat st {};
      if (::stat(file.c_str(), &st) != 0)
        throw SnapshotError(path + ": cannot snapshot: disk file " + file + ": " + errno_text(errno));
    }
    auto* block = dynamic_cast<VirtioBlock*>(board_->virtio_slot(static_cast<unsigned>(i)).device());
    if (block && !block->disk().read_only()) {
      if (int err = block->disk().flush())
        throw SnapshotError(path + ": cannot snapshot: flushing disk " + disk.path + " failed: " + errno_text(err));
    }
  }

  StateWriter state;
  save_state(state);
  StateWriter config;
  write_config(config, config_);

  std::vector<uint64_t> pages;
  for (uint64_t at = ram_.base(); at - ram_.base() < ram_.size(); at += kPageSize)
    if (ram_.page_if_resident(at)) pages.push_back(at);
  const uint64_t state_size = 8 + state.data().size() + 8 + pages.size() * (8 + kPageSize) + 8;

  const std::string tmp = path + ".tmp";
  const std::string prefix = path + ": cannot write the snapshot (" + tmp + "): ";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SnapshotError(prefix + errno_text(errno));
  PendingFile file(fd, tmp);

  std::vector<uint8_t> header(kFixedHeader, 0);
  header.insert(header.end(), config.data().begin(), config.data().end());
  if (header.size() > kMaxHeader) throw SnapshotError(path + ": the machine configuration is too large");
  auto write_at = [&](uint64_t offset, const uint8_t* data, size_t len) {
    for (size_t done = 0; done < len;) {
      const ssize_t n = ::pwrite(fd, data + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw SnapshotError(prefix + errno_text(n < 0 ? errno : EIO));
      done += static_cast<size_t>(n);
    }
  };
  write_at(0, header.data(), header.size());  // placeholder: the hashes come at the end
  if (::lseek(fd, static_cast<off_t>(header.size()), SEEK_SET) < 0) throw SnapshotError(prefix + errno_text(errno));

  CompressedFileWriter payload(fd, state_size, prefix);
  payload.u64(state.data().size());
  payload.write(state.data().data(), state.data().size());
  payload.u64(pages.size());
  for (uint64_t at : pages) {
    payload.u64(at);
    payload.write(ram_.page_if_resident(at), kPageSize);
  }
  payload.u64(kEndMarker);
  payload.finish();

  std::memcpy(header.data(), kMagic, sizeof kMagic);
  put_le(&header[8], kFormatVersion, 4);
  put_le(&header[12], header.size(), 4);
  put_le(&header[16], payload.written(), 8);
  put_le(&header[24], state_size, 8);
  put_le(&header[32], payload.hash(), 8);
  put_le(&header[40], hash64(header.data(), header.size()), 8);
  write_at(0, header.data(), kFixedHeader);
  if (::fsync(fd) != 0) throw SnapshotError(prefix + "fsync: " + errno_text(errno));
  if (file.close() != 0) throw SnapshotError(prefix + "close: " + errno_text(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw SnapshotError(prefix + "rename: " + errno_text(errno));
  file.keep();
  // The rename itself must survive a crash: sync the directory that holds the name.
  const std::string dir = std::filesystem::path(absolute_path(path)).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    const int err = errno;
    if (dir_fd >= 0) ::close(dir_fd);
    throw SnapshotError(path + ": written, but syncing its directory failed: " + errno_text(err));
  }
  ::close(dir_fd);
}

MachineConfig Machine::snapshot_config(const std::string& path) {
  const std::vector<uint8_t> file = read_file(path);
  const Header h = parse_header(file, path);
  StateReader in(std::span<const uint8_t>(file.data() + kFixedHeader, h.header_size - kFixedHeader), path);
  MachineConfig config = read_config(in);
  in.expect(in.remaining() == 0, "corrupted: bytes after the configuration");
  return config;
}

std::unique_ptr<Machine> Machine::restore(const std::string& path, const MachineConfig& host) {
  const std::vector<uint8_t> file = read_file(path);
  const Header h = parse_header(file, path);
  const std::span<const uint8_t> payload(file.data() + h.header_size, h.payload_size);
  if (hash64(payload.data(), payload.size()) != h.payload_hash)
    throw SnapshotError(path + ": corrupted: payload checksum mismatch");
  if (ZSTD_getFrameContentSize(payload.data(), payload.size()) != h.state_size ||
      ZSTD_findFrameCompressedSize(payload.data(), payload.size()) != payload.size())
    throw SnapshotError(path + ": corrupted: the payload is not one zstd frame of the size the header says");
  StateReader config_in(std::span<const uint8_t>(file.data() + kFixedHeader, h.header_size - kFixedHeader), path);
  MachineConfig config = with_host_side(read_config(config_in), host, path);
  config_in.expect(config_in.remaining() == 0, "corrupted: bytes after the configuration");

  // Everything checked that can be without decompressing: build the machine.
  std::unique_ptr<Machine> machine;
  try {
    machine = std::make_unique<Machine>(config);
  } catch (const std::exception& e) {
    throw SnapshotError(path + ": cannot rebuild the machine: " + e.what());
  }
  CompressedReader payload_in(payload, path);
  const uint64_t state_len = payload_in.u64();
  if (state_len > h.state_size) throw SnapshotError(path + ": corrupted: state length " + std::to_string(state_len));
  std::vector<uint8_t> state(static_cast<size_t>(state_len));
  payload_in.read(state.data(), state.size());
  StateReader in(state, path);
  machine->load_state(in);
  in.expect(in.remaining() == 0, "corrupted: bytes after the machine state");

  GuestRam& ram = machine->ram_;
  const uint64_t pages = payload_in.u64();
  if (pages > ram.size() / kPageSize) throw SnapshotError(path + ": corrupted: " + std::to_string(pages) + " RAM pages");
  std::vector<uint8_t> page(kPageSize);
  uint64_t previous = 0;
  for (uint64_t i = 0; i < pages; ++i) {
    const uint64_t at = payload_in.u64();
    if ((at & kPageMask) != 0 || !ram.contains(at, kPageSize) || (i > 0 && at <= previous))
      throw SnapshotError(path + ": corrupted: RAM page at " + std::to_string(at));
    previous = at;
    payload_in.read(page.data(), page.size());
    ram.write(at, page.data(), page.size());
  }
  if (payload_in.u64() != kEndMarker) throw SnapshotError(path + ": corrupted: no end marker after the RAM pages");
  payload_in.finish();
  return machine;
}

// --- Clones --------------------------------------------------------------------------------------

std::unique_ptr<Machine> Machine::clone(const MachineConfig& host, const CloneOptions& options) {
  MachineConfig guest = config_;
  guest.nics.assign(config_.nics.size(), nullptr);
  MachineConfig config = with_host_side(guest, host, "clone");

  std::string dir = options.overlay_dir;
  if (dir.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
  }
  auto new_overlay_path = [&dir](const DiskSpec& disk) {
    return (std::filesystem::path(dir) /
            ("hartbox-" + std::filesystem::path(disk.path).filename().string() + "-" + random_token() + ".overlay"))
        .string();
  };
  // Overlay files made for the clone, removed again if the clone is not made.
  struct Created {
    std::vector<std::string> paths;
    bool keep = false;
    ~Created() {
      if (!keep)
        for (const std::string& p : paths) ::unlink(p.c_str());
    }
  } clone_files;

  for (size_t i = 0; i < config_.disks.size(); ++i) {
    DiskSpec& disk = config_.disks[i];
    auto* block = dynamic_cast<VirtioBlock*>(board_->virtio_slot(static_cast<unsigned>(i)).device());
    if (!block) throw SnapshotError("clone: virtio slot " + std::to_string(i) + " does not hold disk " + disk.path);
    if (disk.read_only) continue;  // shared as it is: nobody writes it
    // Overlays keep the discard granularity the guest was told (a raw image's is 4 KiB).
    const uint32_t block_size =
        std::clamp(block->disk().discard_granularity(), OverlayDiskImage::kMinBlockSize, OverlayDiskImage::kMaxBlockSize);
    auto* top = dynamic_cast<OverlayDiskImage*>(&block->disk());
    const bool nothing_to_freeze = top && !disk.overlay.empty() && top->present_blocks() == 0;
    DiskSpec frozen = disk;  // what the clone's overlay goes on top of
    if (nothing_to_freeze) {
      frozen.overlay.clear();
    } else {
      // Freeze: the template's current top becomes read-only, and the template moves onto a new
      // overlay above it.
      if (int err = block->disk().flush())
        throw SnapshotError("clone: flushing disk " + disk.path + " failed: " + errno_text(err));
      DiskSpec moved = disk;
      if (!disk.overlay.empty()) moved.backing.push_back(disk.overlay);
      moved.overlay = new_overlay_path(disk);
      block->close_disk().reset();  // releases the template's write lock on its top
      try {
        block->attach_disk(open_disk(moved, block_size));
      } catch (...) {
        ::unlink(moved.overlay.c_str());
        block->attach_disk(open_disk(disk));
        throw;
      }
      if (!options.keep_overlays) temporary_files_.add(moved.overlay);
      disk = moved;
      frozen = moved;
      frozen.overlay.clear();
    }
    DiskSpec own = frozen;
    own.overlay = new_overlay_path(disk);
    own.read_only = false;
    open_disk(own, block_size).reset();  // creates the overlay with the template's block size
    clone_files.paths.push_back(own.overlay);
    config.disks[i] = own;
  }

  std::unique_ptr<Machine> machine;
  try {
    machine = std::make_unique<Machine>(config);
  } catch (const std::exception& e) {
    throw SnapshotError(std::string("clone: cannot build the machine: ") + e.what());
  }
  StateWriter state;
  save_state(state);
  StateReader in(state.data(), "clone");
  machine->load_state(in);
  machine->ram_.share_pages_from(ram_);
  if (!options.keep_overlays)
    for (const std::string& p : clone_files.paths) machine->temporary_files_.add(p);
  clone_files.keep = true;
  return machine;
}

}  // namespace hartbox
