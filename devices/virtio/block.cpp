#include "devices/virtio/block.hpp"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/state_io.hpp"

namespace hartbox {

using namespace virtio;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// PosixBlockFile

std::unique_ptr<PosixBlockFile> PosixBlockFile::open(const std::string& path, Mode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case Mode::ReadOnly: flags |= O_RDONLY; break;
    case Mode::ReadWrite: flags |= O_RDWR; break;
    case Mode::CreateNew: flags |= O_RDWR | O_CREAT | O_EXCL; break;
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw DiskError(path + ": " + errno_text(errno));
  // One writer per image across the whole host (and across machines in this process: flock
  // locks belong to the open file description).
  if (::flock(fd, (mode == Mode::ReadOnly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) throw DiskError(path + ": in use by another machine or process");
    throw DiskError(path + ": cannot lock: " + errno_text(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw DiskError(path + ": is a directory");
  }
  return std::unique_ptr<PosixBlockFile>(new PosixBlockFile(fd));
}

PosixBlockFile::~PosixBlockFile() { ::close(fd_); }

int PosixBlockFile::read_at(uint64_t offset, void* dst, size_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  while (len > 0) {
    ssize_t n = ::pread(fd_, out, len, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // the file is shorter than the disk says: it was truncated
    out += n;
    offset += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
  return 0;
}

int PosixBlockFile::write_at(uint64_t offset, const void* src, size_t len) {
  const auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    ssize_t n = ::pwrite(fd_, in, len, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return ENOSPC;
    in += n;
    offset += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
  return 0;
}

int PosixBlockFile::sync() { return ::fdatasync(fd_) == 0 ? 0 : errno; }

int PosixBlockFile::punch_hole(uint64_t offset, uint64_t len) {
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(len)) == 0)
    return 0;
  return errno == ENOSYS ? EOPNOTSUPP : errno;
}

int PosixBlockFile::zero_range(uint64_t offset, uint64_t len) {
  if (::fallocate(fd_, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(len)) == 0)
    return 0;
  return errno == ENOSYS ? EOPNOTSUPP : errno;
}

int PosixBlockFile::size(uint64_t& bytes) {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno;
  if (S_ISBLK(st.st_mode)) return ::ioctl(fd_, BLKGETSIZE64, &bytes) == 0 ? 0 : errno;
  bytes = static_cast<uint64_t>(st.st_size);
  return 0;
}

int PosixBlockFile::truncate(uint64_t bytes) {
  return ::ftruncate(fd_, static_cast<off_t>(bytes)) == 0 ? 0 : errno;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the images

namespace {

constexpr size_t kZeroChunk = 64 * 1024;

// Writes zeros with plain writes (when the file system cannot zero a range).
int write_zero_bytes(BlockFile& file, uint64_t offset, uint64_t len) {
  static constexpr std::array<uint8_t, kZeroChunk> kZeros{};
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, kZeroChunk));
    if (int err = file.write_at(offset, kZeros.data(), n)) return err;
    offset += n;
    len -= n;
  }
  return 0;
}

int zero_file_range(BlockFile& file, uint64_t offset, uint64_t len, bool may_unmap) {
  int err = may_unmap ? file.punch_hole(offset, len) : file.zero_range(offset, len);
  if (err == EOPNOTSUPP && may_unmap) err = file.zero_range(offset, len);
  if (err == EOPNOTSUPP || err == EINVAL) err = write_zero_bytes(file, offset, len);
  return err;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RawDiskImage

RawDiskImage::RawDiskImage(std::unique_ptr<BlockFile> file, bool read_only)
    : file_(std::move(file)), read_only_(read_only) {
  if (int err = file_->size(size_)) throw DiskError("cannot size disk image: " + errno_text(err));
}

int RawDiskImage::read(uint64_t offset, void* dst, size_t len) { return file_->read_at(offset, dst, len); }

int RawDiskImage::write(uint64_t offset, const void* src, size_t len) {
  if (read_only_) return EROFS;
  return file_->write_at(offset, src, len);
}

int RawDiskImage::flush() {
  if (sync_error_ == 0) sync_error_ = file_->sync();
  return sync_error_;
}

int RawDiskImage::discard(uint64_t offset, uint64_t len) {
  if (read_only_) return EROFS;
  int err = file_->punch_hole(offset, len);
  return err == EOPNOTSUPP ? 0 : err;  // discard is advisory
}

int RawDiskImage::write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) {
  if (read_only_) return EROFS;
  return zero_file_range(*file_, offset, len, may_unmap);
}

// ---------------------------------------------------------------------------------------------
// OverlayDiskImage

namespace {

constexpr char kOverlayMagic[8] = {'H', 'B', 'O', 'V', 'E', 'R', 'L', 'Y'};
constexpr uint32_t kOverlayVersion = 1;
constexpr uint64_t kHeaderSize = 4096;
constexpr uint64_t kBitmapPage = 4096;
constexpr size_t kChecksummed = 48;

// CRC-32C (Castagnoli), bitwise: the header is 48 bytes, speed does not matter.
uint32_t crc32c(const uint8_t* p, size_t n) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
  }
  return ~crc;
}

struct OverlayLayout {
  uint64_t bitmap_offset, bitmap_bytes, data_offset, file_size;
};

OverlayLayout overlay_layout(uint64_t base_size, uint32_t block_size) {
  const uint64_t blocks = (base_size + block_size - 1) / block_size;
  OverlayLayout l;
  l.bitmap_offset = kHeaderSize;
  l.bitmap_bytes = ((blocks + 7) / 8 + kBitmapPage - 1) / kBitmapPage * kBitmapPage;
  l.data_offset = (l.bitmap_offset + l.bitmap_bytes + block_size - 1) / block_size * block_size;
  l.file_size = l.data_offset + blocks * block_size;
  return l;
}

bool valid_block_size(uint32_t b) {
  return std::has_single_bit(b) && b >= OverlayDiskImage::kMinBlockSize &&
         b <= OverlayDiskImage::kMaxBlockSize;
}

}  // namespace

void OverlayDiskImage::format(BlockFile& base, BlockFile& overlay, uint32_t block_size,
                              const std::string& overlay_name) {
  if (!valid_block_size(block_size))
    throw DiskError(overlay_name + ": overlay block size must be a power of two from 4 KiB to 1 MiB");
  uint64_t base_size = 0;
  if (int err = base.size(base_size)) throw DiskError(overlay_name + ": cannot size base: " + errno_text(err));
  const OverlayLayout l = overlay_layout(base_size, block_size);
  std::vector<uint8_t> header(kHeaderSize, 0);
  std::memcpy(header.data(), kOverlayMagic, 8);
  store_le32(&header[8], kOverlayVersion);
  store_le32(&header[12], block_size);
  store_le64(&header[16], base_size);
  store_le64(&header[24], l.bitmap_offset);
  store_le64(&header[32], l.bitmap_bytes);
  store_le64(&header[40], l.data_offset);
  store_le32(&header[48], crc32c(header.data(), kChecksummed));
  // Size the file first (bitmap and data are holes, i.e. zeros), then write the header.
  int err = overlay.truncate(l.file_size);
  if (!err) err = overlay.write_at(0, header.data(), header.size());
  if (!err) err = overlay.sync();
  if (err) throw DiskError(overlay_name + ": cannot create overlay: " + errno_text(err));
}

OverlayDiskImage::OverlayDiskImage(std::unique_ptr<BlockFile> base, std::unique_ptr<BlockFile> overlay,
                                   bool read_only, const std::string& overlay_name,
                                   const std::string& base_name)
    : base_(std::move(base)), overlay_(std::move(overlay)), read_only_(read_only) {
  const std::string& name = overlay_name;
  uint64_t file_size = 0;
  if (int err = overlay_->size(file_size)) throw DiskError(name + ": " + errno_text(err));
  if (file_size < kHeaderSize) throw DiskError(name + ": too short to be a Hartbox overlay");
  uint8_t h[kHeaderSize];
  if (int err = overlay_->read_at(0, h, sizeof h)) throw DiskError(name + ": " + errno_text(err));
  if (std::memcmp(h, kOverlayMagic, 8) != 0) throw DiskError(name + ": not a Hartbox overlay (bad magic)");
  if (load_le32(&h[8]) != kOverlayVersion)
    throw DiskError(name + ": unsupported overlay version " + std::to_string(load_le32(&h[8])));
  if (load_le32(&h[48]) != crc32c(h, kChecksummed))
    throw DiskError(name + ": overlay header checksum mismatch (the file is corrupt)");
  block_size_ = load_le32(&h[12]);
  const uint64_t recorded_base = load_le64(&h[16]);
  if (!valid_block_size(block_size_)) throw DiskError(name + ": overlay header has a bad block size");
  const OverlayLayout l = overlay_layout(recorded_base, block_size_);
  if (load_le64(&h[24]) != l.bitmap_offset || load_le64(&h[32]) != l.bitmap_bytes ||
      load_le64(&h[40]) != l.data_offset)
    throw DiskError(name + ": overlay header has an inconsistent layout (the file is corrupt)");
  uint64_t base_size = 0;
  if (int err = base_->size(base_size)) throw DiskError(base_name + ": " + errno_text(err));
  if (base_size != recorded_base)
    throw DiskError(name + ": overlay was made for a base image of " + std::to_string(recorded_base) +
                    " bytes, but " + base_name + " has " + std::to_string(base_size) + " bytes");
  if (file_size < l.file_size) throw DiskError(name + ": overlay is truncated");
  size_ = base_size;
  bitmap_offset_ = l.bitmap_offset;
  data_offset_ = l.data_offset;
  bitmap_.resize(static_cast<size_t>(l.bitmap_bytes));
  if (int err = overlay_->read_at(bitmap_offset_, bitmap_.data(), bitmap_.size()))
    throw DiskError(name + ": cannot read overlay bitmap: " + errno_text(err));
  dirty_bitmap_pages_.assign(static_cast<size_t>(l.bitmap_bytes / kBitmapPage), false);
  scratch_.resize(block_size_);
}

OverlayDiskImage::~OverlayDiskImage() {
  if (!read_only_) flush();
}

bool OverlayDiskImage::block_present(uint64_t block) const {
  return (bitmap_[static_cast<size_t>(block / 8)] >> (block % 8)) & 1;
}

uint64_t OverlayDiskImage::present_blocks() const {
  uint64_t n = 0;
  for (uint8_t b : bitmap_) n += static_cast<uint64_t>(std::popcount(b));
  return n;
}

void OverlayDiskImage::set_present(uint64_t block) {
  const size_t byte = static_cast<size_t>(block / 8);
  bitmap_[byte] = static_cast<uint8_t>(bitmap_[byte] | (1u << (block % 8)));
  dirty_bitmap_pages_[byte / kBitmapPage] = true;
}

int OverlayDiskImage::read_base(uint64_t offset, uint8_t* dst, size_t len) {
  // Bytes past the end of the base (the tail of its last block) read as zeros.
  size_t from_base = offset < size_ ? static_cast<size_t>(std::min<uint64_t>(len, size_ - offset)) : 0;
  if (from_base > 0) {
    if (int err = base_->read_at(offset, dst, from_base)) return err;
  }
  std::memset(dst + from_base, 0, len - from_base);
  return 0;
}

int OverlayDiskImage::read(uint64_t offset, void* dst, size_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  while (len > 0) {
    const uint64_t block = offset / block_size_;
    const uint64_t in_block = offset % block_size_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, block_size_ - in_block));
    int err = block_present(block) ? overlay_->read_at(data_pos(block) + in_block, out, n)
                                   : read_base(offset, out, n);
    if (err) return err;
    out += n;
    offset += n;
    len -= n;
  }
  return 0;
}

int OverlayDiskImage::write_in_block(uint64_t block, uint64_t in_block, const uint8_t* src, size_t len) {
  if (block_present(block)) {
    if (src) return overlay_->write_at(data_pos(block) + in_block, src, len);
    return zero_file_range(*overlay_, data_pos(block) + in_block, len, false);
  }
  if (in_block == 0 && len == block_size_) {
    // A whole block: nothing to copy up.
    int err = src ? overlay_->write_at(data_pos(block), src, len)
                  : zero_file_range(*overlay_, data_pos(block), len, true);
    if (err) return err;
  } else {
    // Copy-up: the block's base contents with the new bytes laid over them.
    if (int err = read_base(block * block_size_, scratch_.data(), block_size_)) return err;
    if (src) {
      std::memcpy(scratch_.data() + in_block, src, len);
    } else {
      std::memset(scratch_.data() + in_block, 0, len);
    }
    if (int err = overlay_->write_at(data_pos(block), scratch_.data(), block_size_)) return err;
  }
  set_present(block);
  return 0;
}

int OverlayDiskImage::write(uint64_t offset, const void* src, size_t len) {
  if (read_only_) return EROFS;
  const auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    const uint64_t block = offset / block_size_;
    const uint64_t in_block = offset % block_size_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, block_size_ - in_block));
    if (int err = write_in_block(block, in_block, in, n)) return err;
    in += n;
    offset += n;
    len -= n;
  }
  return 0;
}

int OverlayDiskImage::write_zeroes(uint64_t offset, uint64_t len, bool) {
  if (read_only_) return EROFS;
  while (len > 0) {
    const uint64_t block = offset / block_size_;
    const uint64_t in_block = offset % block_size_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, block_size_ - in_block));
    if (int err = write_in_block(block, in_block, nullptr, n)) return err;
    offset += n;
    len -= n;
  }
  return 0;
}

int OverlayDiskImage::discard(uint64_t offset, uint64_t len) {
  if (read_only_) return EROFS;
  // Free the data of whole blocks held in the overlay (they then read as zeros, which discard
  // allows); blocks still in the base and partial blocks are left alone.
  const uint64_t first = (offset + block_size_ - 1) / block_size_;
  const uint64_t end = (offset + len) / block_size_;
  for (uint64_t b = first; b < end; ++b) {
    if (!block_present(b)) continue;
    int err = overlay_->punch_hole(data_pos(b), block_size_);
    if (err == EOPNOTSUPP) return 0;
    if (err) return err;
  }
  return 0;
}

int OverlayDiskImage::flush() {
  if (sync_error_) return sync_error_;
  // Data first, then the bitmap that makes it visible (see the file comment).
  sync_error_ = overlay_->sync();
  bool wrote_bitmap = false;
  for (size_t page = 0; page < dirty_bitmap_pages_.size() && !sync_error_; ++page) {
    if (!dirty_bitmap_pages_[page]) continue;
    sync_error_ = overlay_->write_at(bitmap_offset_ + page * kBitmapPage, &bitmap_[page * kBitmapPage],
                                     kBitmapPage);
    dirty_bitmap_pages_[page] = false;
    wrote_bitmap = true;
  }
  if (wrote_bitmap && !sync_error_) sync_error_ = overlay_->sync();
  return sync_error_;
}

// ---------------------------------------------------------------------------------------------
// Disk specs

DiskSpec parse_disk_spec(std::string_view spec) {
  // Split at single commas; ",," is a literal comma.
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != ',') {
      parts.back() += spec[i];
    } else if (i + 1 < spec.size() && spec[i + 1] == ',') {
      parts.back() += ',';
      ++i;
    } else {
      parts.emplace_back();
    }
  }
  DiskSpec out;
  out.path = parts[0];
  if (out.path.empty()) throw DiskError("disk '" + std::string(spec) + "': missing image path (expected PATH[,readonly][,overlay=PATH])");
  bool seen_overlay = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& opt = parts[i];
    if (opt == "readonly") {
      if (out.read_only) throw DiskError("disk '" + std::string(spec) + "': 'readonly' given twice");
      out.read_only = true;
    } else if (opt.rfind("overlay=", 0) == 0) {
      if (seen_overlay) throw DiskError("disk '" + std::string(spec) + "': 'overlay=' given twice");
      seen_overlay = true;
      out.overlay = opt.substr(8);
      if (out.overlay.empty()) throw DiskError("disk '" + std::string(spec) + "': 'overlay=' needs a path");
      if (out.overlay == out.path)
        throw DiskError("disk '" + std::string(spec) + "': the overlay cannot be the base image itself");
    } else if (opt.empty()) {
      throw DiskError("disk '" + std::string(spec) + "': empty option (a stray comma?)");
    } else {
      throw DiskError("disk '" + std::string(spec) + "': unknown option '" + opt +
                      "' (expected readonly or overlay=PATH)");
    }
  }
  return out;
}

namespace {

// A disk image seen as a read-only file: what lets an overlay sit on another overlay.
class DiskImageFile final : public BlockFile {
 public:
  explicit DiskImageFile(std::unique_ptr<DiskImage> disk) : disk_(std::move(disk)) {}
  int read_at(uint64_t offset, void* dst, size_t len) override {
    if (offset > disk_->size() || len > disk_->size() - offset) return EIO;  // past the end
    return disk_->read(offset, dst, len);
  }
  int write_at(uint64_t, const void*, size_t) override { return EROFS; }
  int sync() override { return 0; }
  int punch_hole(uint64_t, uint64_t) override { return EROFS; }
  int zero_range(uint64_t, uint64_t) override { return EROFS; }
  int size(uint64_t& bytes) override {
    bytes = disk_->size();
    return 0;
  }
  int truncate(uint64_t) override { return EROFS; }

 private:
  std::unique_ptr<DiskImage> disk_;
};

// The read-only part of a chain: the base image under its frozen overlays.
std::unique_ptr<BlockFile> open_frozen_chain(const DiskSpec& spec) {
  using Mode = PosixBlockFile::Mode;
  std::unique_ptr<BlockFile> lower = PosixBlockFile::open(spec.path, Mode::ReadOnly);
  std::string lower_name = spec.path;
  for (const std::string& layer : spec.backing) {
    auto image = std::make_unique<OverlayDiskImage>(std::move(lower), PosixBlockFile::open(layer, Mode::ReadOnly),
                                                    true, layer, lower_name);
    lower = std::make_unique<DiskImageFile>(std::move(image));
    lower_name = layer;
  }
  return lower;
}

}  // namespace

std::unique_ptr<DiskImage> open_disk(const DiskSpec& spec, uint32_t overlay_block_size) {
  using Mode = PosixBlockFile::Mode;
  if (!spec.backing.empty() && spec.overlay.empty() && !spec.read_only)
    throw DiskError(spec.backing.back() + ": a frozen overlay cannot be written: the disk needs an overlay on top");
  if (spec.overlay.empty() && !spec.backing.empty()) {
    auto disk = std::make_unique<RawDiskImage>(open_frozen_chain(spec), true);
    if (disk->size() < 512) throw DiskError(spec.path + ": disk image is smaller than one 512-byte sector");
    return disk;
  }
  if (spec.overlay.empty()) {
    auto file = PosixBlockFile::open(spec.path, spec.read_only ? Mode::ReadOnly : Mode::ReadWrite);
    auto disk = std::make_unique<RawDiskImage>(std::move(file), spec.read_only);
    if (disk->size() < 512) throw DiskError(spec.path + ": disk image is smaller than one 512-byte sector");
    return disk;
  }
  std::unique_ptr<BlockFile> base =
      spec.backing.empty() ? std::unique_ptr<BlockFile>(PosixBlockFile::open(spec.path, Mode::ReadOnly))
                           : open_frozen_chain(spec);
  uint64_t base_size = 0;
  if (int err = base->size(base_size)) throw DiskError(spec.path + ": " + errno_text(err));
  if (base_size < 512) throw DiskError(spec.path + ": disk image is smaller than one 512-byte sector");
  std::unique_ptr<PosixBlockFile> overlay;
  struct stat st;
  if (::stat(spec.overlay.c_str(), &st) != 0 && errno == ENOENT) {
    if (spec.read_only) throw DiskError(spec.overlay + ": overlay does not exist (and the disk is read-only)");
    overlay = PosixBlockFile::open(spec.overlay, Mode::CreateNew);
    try {
      OverlayDiskImage::format(*base, *overlay, overlay_block_size, spec.overlay);
    } catch (const DiskError&) {
      ::unlink(spec.overlay.c_str());  // do not leave a half-made overlay behind
      throw;
    }
  } else {
    overlay = PosixBlockFile::open(spec.overlay, spec.read_only ? Mode::ReadOnly : Mode::ReadWrite);
    uint64_t size = 0;
    if (int err = overlay->size(size)) throw DiskError(spec.overlay + ": " + errno_text(err));
    if (size == 0) {
      if (spec.read_only) throw DiskError(spec.overlay + ": overlay is empty (and the disk is read-only)");
      OverlayDiskImage::format(*base, *overlay, overlay_block_size, spec.overlay);
    }
  }
  return std::make_unique<OverlayDiskImage>(std::move(base), std::move(overlay), spec.read_only,
                                            spec.overlay, spec.backing.empty() ? spec.path : spec.backing.back());
}

// ---------------------------------------------------------------------------------------------
// VirtioBlock

namespace {

constexpr uint64_t kSector = 512;
constexpr uint64_t kHeaderBytes = 16;  // struct virtio_blk_req: le32 type, le32 reserved, le64 sector
constexpr size_t kBounceBytes = 128 * 1024;
constexpr uint64_t kSegmentBytes = 16;  // struct virtio_blk_discard_write_zeroes

}  // namespace

VirtioBlock::VirtioBlock(std::unique_ptr<DiskImage> disk, std::string serial, uint16_t queue_size,
                         DiskBandwidth* bandwidth)
    : disk_(std::move(disk)), serial_(std::move(serial)), queue_size_(queue_size),
      config_(kConfigSize, 0), bounce_(kBounceBytes), bandwidth_(bandwidth) {
  if (serial_.size() > kSerialBytes) serial_.resize(kSerialBytes);
  // struct virtio_blk_config (5.2.4), little-endian.
  uint8_t* c = config_.data();
  store_le64(c + 0, capacity_sectors());
  store_le32(c + 8, kSizeMax);                                    // size_max
  store_le32(c + 12, queue_size_ > 2 ? queue_size_ - 2u : 1u);    // seg_max, as QEMU
  store_le32(c + 20, 512);                                        // blk_size
  store_le16(c + 34, 1);                                          // num_queues
  const uint32_t granularity = std::max<uint32_t>(disk_->discard_granularity() / 512, 1);
  store_le32(c + 36, kMaxDiscardSectors);                         // max_discard_sectors
  store_le32(c + 40, kMaxDiscardSegments);                        // max_discard_seg
  store_le32(c + 44, granularity);                                // discard_sector_alignment
  store_le32(c + 48, kMaxDiscardSectors);                         // max_write_zeroes_sectors
  store_le32(c + 52, kMaxDiscardSegments);                        // max_write_zeroes_seg
  c[56] = 1;                                                      // write_zeroes_may_unmap
}

void VirtioBlock::attach_disk(std::unique_ptr<DiskImage> disk) {
  if (!disk) throw DiskError(serial_ + ": no disk image to attach");
  const uint32_t granularity = std::max<uint32_t>(disk->discard_granularity() / 512, 1);
  if (disk->size() / kSector != load_le64(config_.data()) || disk->read_only() != closed_read_only_ ||
      granularity != load_le32(config_.data() + 44))
    throw DiskError(serial_ + ": the new disk image differs from the one the guest was shown");
  disk_ = std::move(disk);
}

uint64_t VirtioBlock::device_features() const {
  uint64_t f = feature_bit(kFVersion1) | feature_bit(kFRingIndirectDesc) | feature_bit(kFRingEventIdx) |
               feature_bit(kFSizeMax) | feature_bit(kFSegMax) | feature_bit(kFBlkSize) |
               feature_bit(kFFlush);
  if (disk_->read_only()) {
    f |= feature_bit(kFRo);
  } else {
    f |= feature_bit(kFDiscard) | feature_bit(kFWriteZeroes);
  }
  return f;
}

void VirtioBlock::read_config(uint32_t offset, std::span<uint8_t> out) const {
  std::memcpy(out.data(), config_.data() + offset, out.size());
}

void VirtioBlock::queue_notify(unsigned) { process_queue(); }

void VirtioBlock::poll() {
  if (waiting_) process_queue();
}

uint64_t VirtioBlock::next_deadline() const {
  if (!waiting_) return UINT64_MAX;
  // Loaded from a snapshot, the device has not looked at its ring yet: at once.
  if (!bandwidth_) return 0;
  return bandwidth_->ready_tick(waiting_bytes_);
}

uint64_t VirtioBlock::data_bytes(const DescriptorChain& chain) {
  if (chain.readable_bytes() < kHeaderBytes || chain.writable_bytes() == 0) return 0;
  uint8_t header[4];
  chain.read(0, header, sizeof header);
  switch (load_le32(header)) {
    case kTypeIn: return chain.writable_bytes() - 1;
    case kTypeOut: return chain.readable_bytes() - kHeaderBytes;
    default: return 0;
  }
}

void VirtioBlock::process_queue() {
  const unsigned queue = 0;
  Virtqueue& vq = transport().queue(queue);
  const bool retry = std::exchange(waiting_, false);
  while (auto chain = vq.pop()) {
    if (bandwidth_) {
      const uint64_t bytes = data_bytes(*chain);
      if (!bandwidth_->admit(bytes, retry && chain->head() == waiting_head_)) {
        vq.unpop();
        waiting_ = true;
        waiting_bytes_ = bytes;
        waiting_head_ = chain->head();
        break;
      }
    }
    bool broken = false;
    const uint8_t status = handle(*chain, vq, broken);
    if (broken) break;
    // The status byte is the last device-writable byte (5.2.6); the used length covers the
    // whole writable part, as QEMU reports it.
    chain->write(chain->writable_bytes() - 1, &status, 1);
    vq.push(*chain, static_cast<uint32_t>(chain->writable_bytes()));
  }
  transport().notify_used(queue);
}

bool VirtioBlock::range_ok(uint64_t sector, uint64_t bytes) const {
  const uint64_t capacity = capacity_sectors();
  const uint64_t sectors = (bytes + kSector - 1) / kSector;
  return sector <= capacity && sectors <= capacity - sector;
}

uint8_t VirtioBlock::after_write(uint8_t status) {
  // 5.2.6.2: without a negotiated FLUSH (and no CONFIG_WCE), a completed write is stable.
  if (status == kStatusOk && !transport().has_feature(kFFlush) && disk_->flush() != 0) return kStatusIoErr;
  return status;
}

uint8_t VirtioBlock::handle(const DescriptorChain& chain, Virtqueue& vq, bool& broken) {
  // A request with no device-writable byte has nowhere to put its status: the driver broke the
  // protocol beyond what a status can report (QEMU: "missing headers"), so the device needs a
  // reset. A header that is missing or in a device-writable buffer is reported as IOERR.
  if (chain.writable_bytes() == 0) {
    vq.mark_broken("virtio-blk request without a device-writable status byte");
    broken = true;
    return kStatusIoErr;
  }
  if (chain.readable_bytes() < kHeaderBytes) return kStatusIoErr;
  uint8_t header[kHeaderBytes];
  chain.read(0, header, sizeof header);
  const uint32_t type = load_le32(header);
  const uint64_t sector = load_le64(header + 8);
  const uint64_t data_out = chain.readable_bytes() - kHeaderBytes;  // bytes after the header
  const uint64_t data_in = chain.writable_bytes() - 1;              // bytes before the status

  switch (type) {
    case kTypeIn:
      if (data_in % kSector != 0 || !range_ok(sector, data_in)) return kStatusIoErr;
      return transfer_in(chain, sector * kSector, data_in);
    case kTypeOut:
      // 5.2.6.2: a write to a read-only device fails with IOERR and writes nothing.
      if (disk_->read_only()) return kStatusIoErr;
      if (data_out % kSector != 0 || !range_ok(sector, data_out)) return kStatusIoErr;
      return after_write(transfer_out(chain, sector * kSector, data_out));
    case kTypeFlush:
      return disk_->flush() == 0 ? kStatusOk : kStatusIoErr;
    case kTypeGetId: {
      // A NUL-padded ASCII string of up to 20 bytes (5.2.6).
      uint8_t id[kSerialBytes] = {};
      std::memcpy(id, serial_.data(), serial_.size());
      chain.write(0, id, static_cast<size_t>(std::min<uint64_t>(data_in, kSerialBytes)));
      return kStatusOk;
    }
    case kTypeDiscard:
    case kTypeWriteZeroes:
      if (disk_->read_only()) return kStatusIoErr;
      if (!transport().has_feature(type == kTypeDiscard ? kFDiscard : kFWriteZeroes)) return kStatusUnsupp;
      return after_write(discard_or_zero(chain, type, data_out));
    default:
      // GET_LIFETIME, SECURE_ERASE, zoned commands and anything unknown (5.2.6.2).
      return kStatusUnsupp;
  }
}

uint8_t VirtioBlock::transfer_in(const DescriptorChain& chain, uint64_t offset, uint64_t len) {
  for (uint64_t done = 0; done < len;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, bounce_.size()));
    if (disk_->read(offset + done, bounce_.data(), n) != 0) return kStatusIoErr;
    chain.write(done, bounce_.data(), n);
    done += n;
  }
  return kStatusOk;
}

uint8_t VirtioBlock::transfer_out(const DescriptorChain& chain, uint64_t offset, uint64_t len) {
  for (uint64_t done = 0; done < len;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, bounce_.size()));
    chain.read(kHeaderBytes + done, bounce_.data(), n);
    if (disk_->write(offset + done, bounce_.data(), n) != 0) return kStatusIoErr;
    done += n;
  }
  return kStatusOk;
}

uint8_t VirtioBlock::discard_or_zero(const DescriptorChain& chain, uint32_t type, uint64_t data_len) {
  if (data_len == 0 || data_len % kSegmentBytes != 0) return kStatusIoErr;
  if (data_len / kSegmentBytes > kMaxDiscardSegments) return kStatusIoErr;
  struct Segment {
    uint64_t sector;
    uint32_t sectors;
    bool unmap;
  };
  std::vector<Segment> segments;
  // Check every segment before touching the disk.
  for (uint64_t at = 0; at < data_len; at += kSegmentBytes) {
    uint8_t s[kSegmentBytes];
    chain.read(kHeaderBytes + at, s, sizeof s);
    const Segment seg{load_le64(s), load_le32(s + 8), (load_le32(s + 12) & 1) != 0};
    const uint32_t flags = load_le32(s + 12);
    // 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP.
    if (type == kTypeDiscard ? flags != 0 : (flags & ~1u) != 0) return kStatusUnsupp;
    if (seg.sectors > kMaxDiscardSectors || !range_ok(seg.sector, uint64_t{seg.sectors} * kSector))
      return kStatusIoErr;
    segments.push_back(seg);
  }
  for (const Segment& seg : segments) {
    const uint64_t offset = seg.sector * kSector;
    const uint64_t len = uint64_t{seg.sectors} * kSector;
    int err = type == kTypeDiscard ? disk_->discard(offset, len) : disk_->write_zeroes(offset, len, seg.unmap);
    if (err) return kStatusIoErr;
  }
  return kStatusOk;
}

// ---------------------------------------------------------------------------------------------
// Snapshots

void VirtioBlock::save(StateWriter& out) const {
  out.begin_section(state_tag("VBLK"));
  out.u64(disk_->size());
  out.boolean(disk_->read_only());
  out.string(serial_);
  out.blob(config_);
  out.end_section();
}

void VirtioBlock::load(StateReader& in) {
  in.begin_section(state_tag("VBLK"));
  const uint64_t size = in.u64();
  const bool read_only = in.boolean();
  const std::string serial = in.string(kSerialBytes * 4);
  const std::vector<uint8_t> config = in.blob(kConfigSize);
  in.expect(size == disk_->size(), "disk " + serial_ + " has " + std::to_string(disk_->size()) +
                                       " bytes but had " + std::to_string(size) + " when the snapshot was taken");
  in.expect(read_only == disk_->read_only(), "disk " + serial_ + " is " + (read_only ? "writable" : "read-only") +
                                                 " now but was not when the snapshot was taken");
  in.expect(serial == serial_, "the snapshot's disk " + serial + " is in the slot of disk " + serial_);
  in.expect(config == config_, "disk " + serial_ + " shows the guest another configuration (discard granularity) "
                               "than when the snapshot was taken");
  in.end_section();
  waiting_ = true;  // a request may have been waiting for bandwidth: look at the ring
}

}  // namespace hartbox
