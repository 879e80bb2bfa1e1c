// virtio-blk (virtio 1.2, section 5.2) on a raw disk image, optionally behind a copy-on-write
// overlay, plus the host file layer it uses.
//
// Layers, bottom up:
//   BlockFile        a host file as the disk code sees it: positional reads and writes, sync,
//                    hole punching; errors come back as errno values. PosixBlockFile is the real
//                    one; tests inject failing ones.
//   DiskImage        what the guest's disk is: RawDiskImage (one file) or OverlayDiskImage (a
//                    read-only base plus an overlay file holding every block the guest wrote).
//   VirtioBlock      the virtio device: parses requests from the request queue, checks them,
//                    runs them on the DiskImage and completes them with a status byte.
//
// Bandwidth: a VirtioBlock may be given its machine's DiskBandwidth (devices/disk_bandwidth.hpp).
// A request it does not admit yet stays on the ring, unread by the device, and every request
// queued behind it waits too (requests complete in order); poll() tries again, and
// next_deadline() says when that is worth it.
//
// Durability: a write request completes once the data is in the host's page cache; a FLUSH
// request reports VIRTIO_BLK_S_OK only after fdatasync() succeeded on everything it covers. If
// the driver did not accept VIRTIO_BLK_F_FLUSH, every write is flushed before it completes (spec
// 5.2.6.2: the write must be stable when completed). After a failed sync the page cache may have
// dropped the data, so a disk whose sync once failed fails every later flush too.
//
// Host I/O errors (EIO, ENOSPC, a truncated file...) complete the request with
// VIRTIO_BLK_S_IOERR; they never stop the machine.
//
// The overlay file format (version 1; all integers little-endian):
//
//   offset 0       header, 4096 bytes:
//                    0  char[8] magic "HBOVERLY"
//                    8  u32     version = 1
//                   12  u32     block size in bytes (a power of two, 4 KiB..1 MiB)
//                   16  u64     size of the base image in bytes (the disk's size)
//                   24  u64     bitmap offset (= 4096)
//                   32  u64     bitmap length in bytes (one bit per block, rounded up to 4 KiB)
//                   40  u64     data offset (first block-aligned offset after the bitmap)
//                   48  u32     CRC-32C of bytes 0..47
//                   52  zero up to 4096
//   bitmap         bit (i % 8) of byte (i / 8) set: block i is in the overlay
//   data           block i at data offset + i * block size; the file is sparse and sized to hold
//                  every block, absent blocks are holes
//
// A block that is absent reads from the base (bytes past the end of the base read as zeros).
// The first write to an absent block copies the rest of the block up from the base. The bitmap
// on disk only changes at a flush: data is synced first, then the bitmap pages that changed are
// written and synced. A crash at any moment leaves every bit that is set pointing at data that
// is on disk; blocks written since the last flush revert to their old contents, which the guest
// allows (it had not seen them flushed). Bits are never cleared. Opening an overlay checks the
// magic, version, checksum, layout and the base image's size, with a message naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "devices/disk_bandwidth.hpp"
#include "devices/virtio/mmio_transport.hpp"

namespace hartbox {

// A disk could not be opened or a disk spec is malformed: a one-line message for the user.
struct DiskError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A host file under a disk image. Every call returns 0 or a positive errno value.
class BlockFile {
 public:
  virtual ~BlockFile() = default;
  // Reads exactly `len` bytes at `offset`; a read past the end of the file is EIO.
  virtual int read_at(uint64_t offset, void* dst, size_t len) = 0;
  virtual int write_at(uint64_t offset, const void* src, size_t len) = 0;
  // fdatasync(): everything written so far is on stable storage.
  virtual int sync() = 0;
  // Deallocates (punch_hole) or zeroes (zero_range) a range without changing the file size;
  // EOPNOTSUPP when the file system cannot.
  virtual int punch_hole(uint64_t offset, uint64_t len) = 0;
  virtual int zero_range(uint64_t offset, uint64_t len) = 0;
  virtual int size(uint64_t& bytes) = 0;
  virtual int truncate(uint64_t bytes) = 0;
};

// A file (or a host block device) opened with open(2), locked with flock(2) so that two
// machines cannot write the same image: shared for read-only opens, exclusive otherwise.
class PosixBlockFile final : public BlockFile {
 public:
  enum class Mode { ReadOnly, ReadWrite, CreateNew };
  // Throws DiskError ("PATH: reason").
  static std::unique_ptr<PosixBlockFile> open(const std::string& path, Mode mode);
  ~PosixBlockFile() override;
  PosixBlockFile(const PosixBlockFile&) = delete;
  PosixBlockFile& operator=(const PosixBlockFile&) = delete;

  int read_at(uint64_t offset, void* dst, size_t len) override;
  int write_at(uint64_t offset, const void* src, size_t len) override;
  int sync() override;
  int punch_hole(uint64_t offset, uint64_t len) override;
  int zero_range(uint64_t offset, uint64_t len) override;
  int size(uint64_t& bytes) override;
  int truncate(uint64_t bytes) override;

 private:
  explicit PosixBlockFile(int fd) : fd_(fd) {}
  int fd_;
};

// The guest-visible disk. Every operation returns 0 or a positive errno value.
class DiskImage {
 public:
  virtual ~DiskImage() = default;
  virtual uint64_t size() const = 0;  // bytes
  virtual bool read_only() const = 0;
  virtual int read(uint64_t offset, void* dst, size_t len) = 0;
  virtual int write(uint64_t offset, const void* src, size_t len) = 0;
  virtual int flush() = 0;
  // The range's contents become unspecified (they may be deallocated).
  virtual int discard(uint64_t offset, uint64_t len) = 0;
  // The range reads as zeros; `may_unmap` allows deallocating it.
  virtual int write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) = 0;
  // The granularity at which discard can free space, in bytes.
  virtual uint32_t discard_granularity() const { return 4096; }
};

class RawDiskImage final : public DiskImage {
 public:
  // The disk is the file's whole length (rounded down to 512-byte sectors by VirtioBlock).
  RawDiskImage(std::unique_ptr<BlockFile> file, bool read_only);

  uint64_t size() const override { return size_; }
  bool read_only() const override { return read_only_; }
  int read(uint64_t offset, void* dst, size_t len) override;
  int write(uint64_t offset, const void* src, size_t len) override;
  int flush() override;
  int discard(uint64_t offset, uint64_t len) override;
  int write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) override;

 private:
  std::unique_ptr<BlockFile> file_;
  uint64_t size_ = 0;
  bool read_only_;
  int sync_error_ = 0;  // sticky: see the file comment
};

class OverlayDiskImage final : public DiskImage {
 public:
  static constexpr uint32_t kDefaultBlockSize = 64 * 1024;
  static constexpr uint32_t kMinBlockSize = 4096;
  static constexpr uint32_t kMaxBlockSize = 1024 * 1024;

  // Writes a new, empty overlay for `base` into `overlay` (an empty file) and syncs it.
  // Throws DiskError.
  static void format(BlockFile& base, BlockFile& overlay, uint32_t block_size,
                     const std::string& overlay_name);
  // Opens an existing overlay; `read_only` refuses guest writes. Throws DiskError naming
  // `overlay_name` if the overlay is malformed or was made for a base of another size.
  OverlayDiskImage(std::unique_ptr<BlockFile> base, std::unique_ptr<BlockFile> overlay,
                   bool read_only, const std::string& overlay_name,
                   const std::string& base_name);
  // Closing is a flush (best effort): writes the guest completed stay in the overlay, as when
  // QEMU closes an image. After a host crash only flushed writes are guaranteed.
  ~OverlayDiskImage() override;

  uint64_t size() const override { return size_; }
  bool read_only() const override { return read_only_; }
  int read(uint64_t offset, void* dst, size_t len) override;
  int write(uint64_t offset, const void* src, size_t len) override;
  int flush() override;
  int discard(uint64_t offset, uint64_t len) override;
  int write_zeroes(uint64_t offset, uint64_t len, bool may_unmap) override;
  uint32_t discard_granularity() const override { return block_size_; }

  uint32_t block_size() const { return block_size_; }
  bool block_present(uint64_t block) const;
  uint64_t present_blocks() const;

 private:
  uint64_t block_count() const { return (size_ + block_size_ - 1) / block_size_; }
  uint64_t data_pos(uint64_t block) const { return data_offset_ + block * block_size_; }
  void set_present(uint64_t block);
  int read_base(uint64_t offset, uint8_t* dst, size_t len);
  // Writes [offset, offset + len) of one block (src == nullptr: zeros), copying up the rest of
  // an absent block from the base.
  int write_in_block(uint64_t block, uint64_t offset, const uint8_t* src, size_t len);

  std::unique_ptr<BlockFile> base_;
  std::unique_ptr<BlockFile> overlay_;
  bool read_only_;
  uint64_t size_ = 0;
  uint32_t block_size_ = 0;
  uint64_t bitmap_offset_ = 0;
  uint64_t data_offset_ = 0;
  std::vector<uint8_t> bitmap_;
  std::vector<bool> dirty_bitmap_pages_;  // 4 KiB pages of bitmap_ not yet written
  std::vector<uint8_t> scratch_;          // one block
  int sync_error_ = 0;
};

// A disk as given on the command line: `PATH[,readonly][,overlay=PATH]`. A comma inside a path
// is written twice (",,"), as in QEMU.
struct DiskSpec {
  std::string path;
  bool read_only = false;
  std::string overlay;  // empty: no overlay
  // Frozen overlays between `path` and `overlay`, bottom first, opened read-only: the chains
  // that clones share (Machine::clone freezes a template's disk into one). Not settable from
  // the command line; snapshots record it. With frozen layers, `overlay` is required unless the
  // disk is read-only.
  std::vector<std::string> backing;
};

// Throws DiskError with a message saying what is wrong in `spec`.
DiskSpec parse_disk_spec(std::string_view spec);

// Opens the image(s) of `spec`. With an overlay, the base is opened read-only and never written;
// an overlay file that does not exist (or is empty) is created with `overlay_block_size`.
// Throws DiskError.
std::unique_ptr<DiskImage> open_disk(const DiskSpec& spec,
                                     uint32_t overlay_block_size = OverlayDiskImage::kDefaultBlockSize);

class VirtioBlock final : public VirtioDevice {
 public:
  static constexpr uint32_t kDeviceId = 2;

  // Feature bits (5.2.3).
  static constexpr unsigned kFSizeMax = 1;
  static constexpr unsigned kFSegMax = 2;
  static constexpr unsigned kFRo = 5;
  static constexpr unsigned kFBlkSize = 6;
  static constexpr unsigned kFFlush = 9;
  static constexpr unsigned kFDiscard = 13;
  static constexpr unsigned kFWriteZeroes = 14;

  // Request types and status values (5.2.6).
  static constexpr uint32_t kTypeIn = 0;
  static constexpr uint32_t kTypeOut = 1;
  static constexpr uint32_t kTypeFlush = 4;
  static constexpr uint32_t kTypeGetId = 8;
  static constexpr uint32_t kTypeGetLifetime = 10;
  static constexpr uint32_t kTypeDiscard = 11;
  static constexpr uint32_t kTypeWriteZeroes = 13;
  static constexpr uint32_t kTypeSecureErase = 14;
  static constexpr uint8_t kStatusOk = 0;
  static constexpr uint8_t kStatusIoErr = 1;
  static constexpr uint8_t kStatusUnsupp = 2;

  // Limits advertised in the configuration space.
  static constexpr uint32_t kSizeMax = 1024 * 1024;  // bytes per segment
  static constexpr uint32_t kMaxDiscardSectors = 1u << 22;
  static constexpr uint32_t kMaxDiscardSegments = 32;
  static constexpr uint32_t kConfigSize = 60;  // up to write_zeroes_may_unmap and unused1
  static constexpr size_t kSerialBytes = 20;

  // `serial` is what VIRTIO_BLK_T_GET_ID returns (at most 20 bytes are used). `bandwidth`
  // (optional, the machine's; it must outlive the device) limits the bytes moved per second.
  explicit VirtioBlock(std::unique_ptr<DiskImage> disk, std::string serial = {},
                       uint16_t queue_size = 256, DiskBandwidth* bandwidth = nullptr);

  uint32_t device_id() const override { return kDeviceId; }
  uint64_t device_features() const override;
  unsigned num_queues() const override { return 1; }
  uint16_t queue_max_size(unsigned) const override { return queue_size_; }
  uint32_t config_size() const override { return kConfigSize; }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  void queue_notify(unsigned queue) override;
  void poll() override;
  uint64_t next_deadline() const override;
  void reset() override { waiting_ = false; }
  // Snapshots refer to the disk by path (the machine's configuration): the disk's contents stay
  // in its files and are not copied. What is saved here is what must match: the capacity, the
  // read-only flag and the serial number. Requests are synchronous, so none is ever in flight:
  // one waiting for bandwidth is still on the ring, and a loaded device looks at its ring again
  // on its first poll().
  void save(StateWriter& out) const override;
  void load(StateReader& in) override;

  uint64_t capacity_sectors() const { return disk_->size() / 512; }
  DiskImage& disk() { return *disk_; }
  // For Machine::clone, which moves a template's disk onto a new overlay: close_disk() hands the
  // image back (destroying it flushes it and releases its file locks), attach_disk() installs
  // one of the same size, read-only flag and discard granularity (what the guest was told);
  // it throws DiskError otherwise. The device must not run in between.
  std::unique_ptr<DiskImage> close_disk() {
    closed_read_only_ = disk_->read_only();
    return std::move(disk_);
  }
  void attach_disk(std::unique_ptr<DiskImage> disk);

 private:
  // Serves the queue's requests in order until it is empty or one must wait for bandwidth.
  void process_queue();
  // The data bytes a request reads or writes (what bandwidth is charged for); 0 for the rest.
  static uint64_t data_bytes(const DescriptorChain& chain);
  uint8_t handle(const DescriptorChain& chain, Virtqueue& vq, bool& drop);
  uint8_t transfer_in(const DescriptorChain& chain, uint64_t offset, uint64_t len);
  uint8_t transfer_out(const DescriptorChain& chain, uint64_t offset, uint64_t len);
  uint8_t discard_or_zero(const DescriptorChain& chain, uint32_t type, uint64_t data_len);
  bool range_ok(uint64_t sector, uint64_t bytes) const;
  uint8_t after_write(uint8_t status);

  std::unique_ptr<DiskImage> disk_;
  std::string serial_;
  uint16_t queue_size_;
  std::vector<uint8_t> config_;
  std::vector<uint8_t> bounce_;
  bool closed_read_only_ = false;  // the read-only flag of the image close_disk() gave back
  DiskBandwidth* bandwidth_ = nullptr;
  bool waiting_ = false;        // the request at the head of the ring waits for bandwidth
  uint64_t waiting_bytes_ = 0;  // its data bytes
  uint16_t waiting_head_ = 0;   // its descriptor chain's head
};

}  // namespace hartbox
