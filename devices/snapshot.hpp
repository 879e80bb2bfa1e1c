// Machine snapshots and clones: the snapshot file format, the options of Machine::clone(), and
// the rules both follow. The functions are Machine's (devices/machine.hpp): snapshot(),
// restore(), snapshot_config() and clone(), implemented in devices/machine_snapshot.cpp over the
// save()/load() methods each component has (core/state_io.hpp).
//
// The snapshot file (format version 1; integers little-endian):
//
//   offset  size
//        0     8   magic "HBSNAP\0\0"
//        8     4   u32 format version (1)
//       12     4   u32 header size H: the payload starts at byte H (48 < H <= 1 MiB)
//       16     8   u64 payload size: the file is exactly H + this many bytes
//       24     8   u64 state size: the payload's decompressed size (also in the zstd frame)
//       32     8   u64 XXH64 of the payload (seed 0)
//       40     8   u64 XXH64 of the header bytes [0, H) with this field zeroed
//       48         "CONF" section (StateWriter encoding): the machine configuration — RAM size,
//                  harts, engine, time mode, semihosting (enabled, root, confinement, command
//                  line), disks (absolute paths of the image, the frozen overlays and the
//                  overlay; read-only), network cards (count), rng, legacy virtio
//        H         payload: one zstd frame (content size and content checksum on) of
//                    u64 length L, then L bytes: the "MACH" state section (below)
//                    u64 number of resident RAM pages N, then N times
//                        u64 guest-physical address (page-aligned, increasing), 4096 bytes
//                    u64 end marker "HBSNEND\0"
//
//   The "MACH" section holds, in order: the machine's own state (exit code, loaded program and
//   its symbols, boot spec, device tree, HTIF presence), "CLOK" (the machine clock), one "HART"
//   per hart, "BORD" (boot ROM, CLINT, UART, RTC, the eight virtio-mmio slots with their queues
//   and devices, PLIC), then "HTIF" and "SEMI" when the machine has them.
//
// Integrity: restore() reads the header, checks magic, version, sizes and the header hash, then
// hashes the payload and compares, all before it builds anything; zstd checks its own frame
// checksum as it decompresses, and the state reader checks every section's tag and length. Any
// problem is SnapshotError with one line naming the file.
//
// Atomicity: snapshot() writes PATH.tmp, fsyncs it, renames it over PATH and fsyncs the
// directory. A crash or an error while writing leaves any previous PATH as it was (and at worst
// a stale PATH.tmp, which the next snapshot overwrites).
//
// What a snapshot refers to rather than contains:
//   - Disks: the snapshot refers to each disk by path (its image, frozen overlays and overlay);
//     the disk's data stays in those files, flushed when the snapshot is taken. Restoring needs
//     the same files, unchanged since: a disk written after the snapshot (by the machine that
//     went on running, say) no longer matches the guest's memory. Snapshot a machine whose disk
//     has an overlay, and keep a copy of the overlay with the snapshot, to go back to it twice.
//   - Network cards: a restored machine gets its backends from the caller; frames received but
//     not yet given to the guest are dropped (counted in rx_dropped).
//   - Semihosting: host files the guest had open cannot be reopened. Their handles stay
//     allocated and fail with EBADF (see Semihosting::save).
//   - The console: output already written stays where it went; the restored machine writes to
//     the console it is given.
//   - Time: virtual time resumes exactly where it was; the RTC resumes at the guest time of the
//     snapshot (the time spent on disk does not pass for the guest).
//   - Engines keep no state worth saving: decoded code is rebuilt on demand, TLBs are flushed.
//     A snapshot taken under one engine resumes under another.
// A machine resumed from a snapshot runs exactly as the original would after returning from
// run() at that point: same instructions, same output, same instruction count.
//
// Clones (Machine::clone) copy a paused template in memory: the same configuration, the harts'
// and devices' state through the same save()/load(), and RAM shared copy-on-write
// (GuestRam::share_pages_from: a page is copied when either side first writes it). Disks follow
// one rule: a disk shared by machines is never written. So clone() freezes the template's
// writable disks: each is flushed and becomes a read-only layer (its raw image, or its
// overlay), the template itself moves onto a new overlay above it, and every clone gets a
// fresh overlay of its own above the same frozen layers. A read-only template disk is shared
// as it is. A template disk whose overlay is still empty is not frozen again (repeated clones
// of an idle template share one chain). The new overlays go to CloneOptions::overlay_dir.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hartbox {

struct CloneOptions {
  // Where clone() creates overlay files (the clone's, and the template's new ones when a disk
  // is frozen). Empty: $TMPDIR, or /tmp.
  std::string overlay_dir;
  // False: each machine deletes the overlay files clone() created for it when it is destroyed
  // (files still open by other machines live on until those close them). True: they stay, so
  // that the machines can be snapshotted and restored later.
  bool keep_overlays = false;
};

// Files a machine deletes when it is destroyed (the overlays clone() made for it).
class TemporaryFiles {
 public:
  TemporaryFiles() = default;
  TemporaryFiles(const TemporaryFiles&) = delete;
  TemporaryFiles& operator=(const TemporaryFiles&) = delete;
  ~TemporaryFiles();
  void add(std::string path) { paths_.push_back(std::move(path)); }
  bool contains(const std::string& path) const;

 private:
  std::vector<std::string> paths_;
};

}  // namespace hartbox
