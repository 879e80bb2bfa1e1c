// Fuzz target `virtio_blk`: the virtio-blk request path (devices/virtio/block.hpp) driven by a
// hostile driver (fuzz/virtio_rig.hpp), on a disk that fails when the input says so.
//
// The disk is a raw image or a copy-on-write overlay over a base, read-write or read-only, in
// memory files (memfd). Under it sits a BlockFile that injects host errors (EIO, ENOSPC, EINTR-
// free short writes are the OS's business: here whole calls fail) following a schedule from the
// input: a failing disk must complete requests with VIRTIO_BLK_S_IOERR, never stop or crash the
// machine. Checked as well: a read-only disk and an overlay's base are never written.
//
// Input: byte 0 picks the disk (kind, size, schedule), byte 1 the transport version; the rest is
// the driver program. Driver action 12 turns fault injection on or off.
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "devices/virtio/block.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/virtio_rig.hpp"

using namespace hartbox;

namespace {

// A BlockFile over another one that fails calls on a schedule, and can refuse every write.
class FaultyBlockFile final : public BlockFile {
 public:
  FaultyBlockFile(std::unique_ptr<BlockFile> inner, std::string name, bool must_not_write)
      : inner_(std::move(inner)), name_(std::move(name)), must_not_write_(must_not_write) {}

  void set_schedule(uint64_t schedule, bool on) {
    schedule_ = schedule;
    on_ = on;
  }

  int read_at(uint64_t offset, void* dst, size_t len) override {
    if (int err = fault()) return err;
    return inner_->read_at(offset, dst, len);
  }
  int write_at(uint64_t offset, const void* src, size_t len) override {
    refuse("write_at");
    if (int err = fault()) return err;
    return inner_->write_at(offset, src, len);
  }
  int sync() override {
    if (int err = fault()) return err;
    return inner_->sync();
  }
  int punch_hole(uint64_t offset, uint64_t len) override {
    refuse("punch_hole");
    if (int err = fault()) return err;
    return inner_->punch_hole(offset, len);
  }
  int zero_range(uint64_t offset, uint64_t len) override {
    refuse("zero_range");
    if (int err = fault()) return err;
    return inner_->zero_range(offset, len);
  }
  int size(uint64_t& bytes) override { return inner_->size(bytes); }
  int truncate(uint64_t bytes) override {
    refuse("truncate");
    return inner_->truncate(bytes);
  }

 private:
  void refuse(const char* call) {
    if (must_not_write_) fuzz::finding(name_ + ": " + call + " on a file the disk must never write");
  }
  int fault() {
    if (!on_) return 0;
    const unsigned pick = schedule_ & 7;
    schedule_ = (schedule_ >> 3) | (schedule_ << 61);
    static constexpr int kErrors[] = {0, 0, 0, 0, EIO, ENOSPC, EOPNOTSUPP, EINVAL};
    return kErrors[pick];
  }

  std::unique_ptr<BlockFile> inner_;
  std::string name_;
  bool must_not_write_;
  uint64_t schedule_ = 0;
  bool on_ = false;
};

class DiskFaults final : public fuzz::DeviceActions {
 public:
  explicit DiskFaults(std::vector<FaultyBlockFile*> files) : files_(std::move(files)) {}
  void act(uint8_t opcode, fuzz::InputReader& in) override {
    if (opcode % 16 != 12) return;
    const uint64_t schedule = in.u64();
    for (FaultyBlockFile* f : files_) f->set_schedule(schedule, (schedule & 1) != 0);
  }

 private:
  std::vector<FaultyBlockFile*> files_;
};

std::unique_ptr<FaultyBlockFile> open_file(const fuzz::MemFile& mem, bool read_only, const std::string& name,
                                           bool must_not_write) {
  auto file = PosixBlockFile::open(mem.path(), read_only ? PosixBlockFile::Mode::ReadOnly
                                                         : PosixBlockFile::Mode::ReadWrite);
  return std::make_unique<FaultyBlockFile>(std::move(file), name, must_not_write);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::InputReader in(std::span<const uint8_t>(data, size));
  const uint8_t disk_choice = in.u8();
  const uint8_t version = in.u8();
  const bool overlay = (disk_choice & 1) != 0;
  const bool read_only = (disk_choice & 2) != 0;
  // 512 bytes to 64 KiB, sometimes not a whole number of sectors.
  const uint64_t disk_bytes = (uint64_t{512} << ((disk_choice >> 2) & 7)) + ((disk_choice & 0x20) ? 100 : 0);

  fuzz::MemFile base_mem("fuzz-disk");
  base_mem.resize(disk_bytes);
  fuzz::MemFile overlay_mem("fuzz-overlay");
  std::vector<FaultyBlockFile*> files;
  std::unique_ptr<DiskImage> disk;
  try {
    if (!overlay) {
      auto file = open_file(base_mem, read_only, "raw image", read_only);
      files.push_back(file.get());
      disk = std::make_unique<RawDiskImage>(std::move(file), read_only);
    } else {
      auto base = open_file(base_mem, true, "overlay base", true);
      {
        auto fresh = PosixBlockFile::open(overlay_mem.path(), PosixBlockFile::Mode::ReadWrite);
        OverlayDiskImage::format(*base, *fresh, OverlayDiskImage::kMinBlockSize, "overlay");
      }
      auto top = open_file(overlay_mem, read_only, "overlay", read_only);
      files.push_back(base.get());
      files.push_back(top.get());
      disk = std::make_unique<OverlayDiskImage>(std::move(base), std::move(top), read_only, "overlay", "base");
    }
  } catch (const DiskError& e) {
    fuzz::finding(std::string("could not set up the disk: ") + e.what());
  }

  auto device = std::make_unique<VirtioBlock>(std::move(disk), "fuzz-serial", 256);
  fuzz::VirtioRig rig(std::move(device),
                      (version & 1) ? VirtioMmio::Version::Legacy : VirtioMmio::Version::Modern);
  DiskFaults faults(files);
  rig.run(in, &faults);
  return 0;
}
