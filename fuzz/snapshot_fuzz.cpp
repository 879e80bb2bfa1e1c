// Fuzz target `snapshot`: the snapshot reader (Machine::snapshot_config and Machine::restore,
// devices/snapshot.hpp) on arbitrary files.
//
// A snapshot file carries checksums (XXH64 of its header and of its payload, zstd's frame
// checksum), so random changes to a whole file only ever reach the header checks. The input
// therefore comes in two forms, by its first byte:
//   even: the rest is the file, as it is (the header checks, the hashes, the framing);
//   odd:  the rest is [u16 length of the CONF section][CONF section][payload, uncompressed], and
//         the target builds a file with a correct header, hashes and zstd frame around it, so
//         the fuzzer works on the state reader itself: every section of every device.
// Checked: restore() and snapshot_config() throw only SnapshotError (one line, naming the file);
// a machine that restore() accepts (and that has no semihosting) runs a few slices without
// anything escaping them.
//
// A snapshot names host files (disk images and overlays, which restore() opens, and creates when
// an overlay is missing). The target never lets restore() touch them: a configuration with disks
// is only parsed, never restored. (That restore() trusts those paths is itself worth knowing:
// see the report on snapshot files from untrusted sources.)
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/state_io.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/null_net_backend.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace hartbox;

namespace {

constexpr size_t kFixedHeader = 48;

void put_le(uint8_t* p, uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// The file restore() expects around a CONF section and an uncompressed payload (snapshot.hpp).
std::vector<uint8_t> wrap(std::span<const uint8_t> conf, std::span<const uint8_t> state) {
  std::vector<uint8_t> payload(ZSTD_compressBound(state.size()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) fuzz::finding("ZSTD_createCCtx failed");
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
  const size_t n = ZSTD_compress2(cctx, payload.data(), payload.size(), state.data(), state.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) fuzz::finding(std::string("zstd: ") + ZSTD_getErrorName(n));
  payload.resize(n);

  std::vector<uint8_t> file(kFixedHeader, 0);
  file.insert(file.end(), conf.begin(), conf.end());
  const size_t header_size = file.size();
  std::memcpy(file.data(), "HBSNAP\0\0", 8);
  put_le(&file[8], 1, 4);
  put_le(&file[12], header_size, 4);
  put_le(&file[16], payload.size(), 8);
  put_le(&file[24], state.size(), 8);
  put_le(&file[32], hash64(payload.data(), payload.size()), 8);
  put_le(&file[40], hash64(file.data(), header_size), 8);  // with this field still zero
  file.insert(file.end(), payload.begin(), payload.end());
  return file;
}

void check_error(const std::string& message, const std::string& path) {
  fuzz::require(message.rfind(path + ": ", 0) == 0, "SnapshotError does not start with the path: " + message);
  fuzz::require(message.find('\n') == std::string::npos, "SnapshotError is more than one line: " + message);
}

void restore(const std::string& path) {
  MachineConfig guest;
  try {
    guest = Machine::snapshot_config(path);
  } catch (const SnapshotError& e) {
    check_error(e.what(), path);
    return;
  } catch (const std::exception& e) {
    fuzz::finding(std::string("snapshot_config threw something other than SnapshotError: ") + e.what());
  }
  if (!guest.disks.empty()) return;  // never open or create host files named by the input

  std::vector<std::unique_ptr<DiscardingNetBackend>> nics;
  MachineConfig host;
  for (size_t i = 0; i < guest.nics.size(); ++i) {
    nics.push_back(std::make_unique<DiscardingNetBackend>());
    host.nics.push_back(nics.back().get());
  }
  StringConsoleSink console;
  StringConsoleSource input;
  host.console = &console;
  host.console_input = &input;
  host.engine = "interp";
  host.semihosting_root = "/nonexistent-fuzz-root";
  std::unique_ptr<Machine> machine;
  try {
    machine = Machine::restore(path, host);
  } catch (const SnapshotError& e) {
    check_error(e.what(), path);
    return;
  } catch (const std::exception& e) {
    fuzz::finding(std::string("restore threw something other than SnapshotError: ") + e.what());
  }
  // A guest with semihosting could reach host files through it: restored, but never run.
  if (guest.semihosting) return;
  try {
    for (int i = 0; i < 4 && !machine->exit_code(); ++i) machine->run_slice(500);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("a restored machine threw from run_slice: ") + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> file;
  if (data[0] & 1) {
    if (size < 3) return 0;
    const size_t conf_len = std::min<size_t>(data[1] | (size_t{data[2]} << 8), size - 3);
    file = wrap(std::span<const uint8_t>(data + 3, conf_len), std::span<const uint8_t>(data + 3 + conf_len, size - 3 - conf_len));
  } else {
    file.assign(data + 1, data + size);
  }
  fuzz::MemFile mem("fuzz.snap");
  mem.write_all(file);
  restore(mem.path());
  return 0;
}
