#include "devices/machine.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <limits>
#include <thread>

#include "devices/htif.hpp"
#include "devices/semihosting.hpp"
#include "devices/virtio/net.hpp"
#include "devices/virtio/rng.hpp"

namespace hartbox {

namespace {

// A slice is short enough that the CLINT raises a due timer interrupt within this many
// instructions of its deadline, and long enough that the per-slice bookkeeping is noise.
constexpr uint64_t kSliceSteps = 4096;

// OpenSBI's fw_dynamic info block (include/sbi/fw_dynamic.h), version 2.
struct FwDynamicInfo {
  uint64_t magic = 0x4942534f;  // "OSBI"
  uint64_t version = 2;
  uint64_t next_addr = 0;
  uint64_t next_mode = 1;  // S-mode
  uint64_t options = 0;
  uint64_t boot_hart = 0;
};

constexpr uint64_t kKernelRawAddress = virt::kDramBase + 0x20'0000;  // after 2 MiB of firmware
constexpr uint64_t kMiB = uint64_t{1} << 20;

bool is_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

uint64_t file_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw LoadError(path + ": cannot open");
  return static_cast<uint64_t>(in.tellg());
}

// QEMU's place for the device tree: the top of RAM (below 3 GiB), aligned down to 2 MiB. On a
// small machine that rounds down onto the loaded program (with 2 MiB of RAM or less, to the start
// of RAM): the tree then goes at the top of RAM, 8-byte aligned as the devicetree spec asks.
// `loaded_end` is one past the last byte loaded; `file` names what was loaded, for the error.
uint64_t device_tree_address(uint64_t ram_size, uint64_t tree_size, uint64_t loaded_end, const std::string& file) {
  const uint64_t usable = std::min<uint64_t>(ram_size, 3072 * kMiB);
  if (tree_size > usable)
    throw LoadError(file + ": the device tree (" + std::to_string(tree_size) + " bytes) does not fit in " +
                    std::to_string(ram_size) + " bytes of RAM");
  const uint64_t top = virt::kDramBase + usable;
  uint64_t address = (top - tree_size) & ~(2 * kMiB - 1);
  if (address < loaded_end) address = (top - tree_size) & ~uint64_t{7};
  if (address < loaded_end)
    throw LoadError(file + ": no room for the device tree (" + std::to_string(tree_size) +
                    " bytes) in RAM above what was loaded");
  return address;
}

}  // namespace

Machine::Machine(const MachineConfig& config)
    : config_(config), ram_(virt::kDramBase, config.ram_size), bus_(ram_), clock_(config.time),
      disk_bandwidth_(clock_) {
  if (config.harts == 0 || config.harts > kMaxHarts)
    throw std::invalid_argument("a machine has 1 to " + std::to_string(kMaxHarts) + " harts");
  std::vector<Hart*> harts;
  std::vector<const Hart*> counted;
  for (unsigned i = 0; i < config.harts; ++i) {
    harts_.push_back(std::make_unique<Hart>(bus_, i));
    engines_.push_back(make_engine(config.engine, &code_pages_));
    if (!engines_.back()) throw std::invalid_argument("unknown engine '" + config.engine + "'");
    harts_.back()->set_time_source(&clock_);
    harts.push_back(harts_.back().get());
    counted.push_back(harts_.back().get());
  }
  clock_.count_harts(counted);
  ram_.set_page_observer(this);
  if (!config_.console) {
    default_console_ = std::make_unique<StdoutConsoleSink>();
    config_.console = default_console_.get();
  }

  virt::BoardConfig board;
  board.harts = harts;
  board.ram_size = config.ram_size;
  board.rtc_base_ns = config.rtc_base_ns;
  board.console = config_.console;
  board.console_input = config_.console_input;
  board.virtio_version = config.legacy_virtio ? VirtioMmio::Version::Legacy : VirtioMmio::Version::Modern;
  disk_bandwidth_.set_limit(config.disk_bytes_per_second);
  unsigned disk_index = 0;
  for (const DiskSpec& disk : config.disks) {
    try {
      board.virtio_devices.push_back(std::make_unique<VirtioBlock>(
          open_disk(disk), "hartbox-disk" + std::to_string(disk_index++), 256, &disk_bandwidth_));
    } catch (const std::exception& e) {
      throw LoadError(e.what());
    }
  }
  for (size_t i = 0; i < config.nics.size(); ++i) {
    VirtioNetConfig net;
    net.mac = {0x52, 0x54, 0x00, 0x12, 0x34, static_cast<uint8_t>(0x56 + i)};
    net.rx_wakeup = config.on_external_event;
    board.virtio_devices.push_back(std::make_unique<VirtioNet>(config.nics[i], net));
  }
  if (config.rng) board.virtio_devices.push_back(std::make_unique<VirtioRng>());
  if (board.virtio_devices.size() > virt::kVirtioSlots)
    throw LoadError("too many virtio devices: the virt board has " + std::to_string(virt::kVirtioSlots) + " slots");
  board_ = std::make_unique<virt::VirtBoard>(bus_, clock_, static_cast<PowerControl&>(*this), std::move(board));

  if (config_.semihosting) {
    SemihostingConfig sh;
    if (!config_.semihosting_root.empty()) sh.root = config_.semihosting_root;
    sh.confine = config_.semihosting_confined;
    sh.command_line = config_.command_line;
    sh.console = config_.console;
    sh.input = config_.console_input;
    sh.on_exit = [this](int code) { exit(code); };
    semihosting_ = std::make_unique<Semihosting>(std::move(sh));
    for (auto& hart : harts_) hart->set_semihosting(semihosting_.get());
  }
  for (auto& hart : harts_) hart->reset(virt::kDramBase);
}

Machine::~Machine() = default;

void Machine::set_observer(ExecutionObserver* observer) {
  for (auto& engine : engines_) engine->set_observer(observer);
}

uint64_t Machine::retired() const {
  uint64_t total = 0;
  for (const auto& hart : harts_) total += hart->retired();
  return total;
}

const ElfImage& Machine::load_elf(const std::string& path) {
  program_ = hartbox::load_elf(path, ram_);
  if (auto tohost = program_->symbol("tohost")) {
    // A tohost the HTIF cannot serve (misaligned, at the end of the address space, on another
    // device) is a fault of the file, reported as such.
    try {
      auto htif = std::make_unique<Htif>(ram_, *tohost, program_->symbol("fromhost"), [this](int code) { exit(code); },
                                         config_.console, config_.console_input);
      htif->attach(bus_);
      htif_ = std::move(htif);
    } catch (const std::invalid_argument& e) {
      program_.reset();
      throw LoadError(path + ": " + e.what());
    }
    for (auto& hart : harts_) hart->flush_tlb();  // the tohost page is no longer plain RAM
  }
  // As QEMU does for -bios none -kernel: a device tree at the top of RAM, its address in a1.
  device_tree_ = board_->device_tree("");
  const uint64_t fdt_address =
      device_tree_address(config_.ram_size, device_tree_.size(), program_->highest_address + 1, path);
  ram_.write(fdt_address, device_tree_.data(), device_tree_.size());
  start_harts(program_->entry, fdt_address, 0);
  return *program_;
}

void Machine::load_raw(const std::string& path, uint64_t address) { hartbox::load_raw(path, address, ram_); }

void Machine::set_entry(uint64_t pc) {
  for (auto& hart : harts_) {
    hart->pc = pc;
    hart->next_pc = pc;
  }
}

bool Machine::idle() {
  for (auto& hart : harts_)
    if (!hart->waiting() || hart->interrupt_pending()) return false;
  return true;
}

void Machine::start_harts(uint64_t entry, uint64_t fdt_address, uint64_t info_address) {
  for (auto& hart : harts_) {
    hart->reset(entry);
    hart->x[10] = hart->hart_id();  // a0
    hart->x[11] = fdt_address;      // a1
    hart->x[12] = info_address;     // a2
  }
}

uint64_t Machine::load_image(const std::string& path, uint64_t raw_address, uint64_t& end) {
  if (is_elf(path)) {
    const ElfImage image = hartbox::load_elf(path, ram_);
    end = image.highest_address + 1;
    return image.entry;
  }
  hartbox::load_raw(path, raw_address, ram_);
  end = raw_address + file_size(path);
  return raw_address;
}

void Machine::boot(const BootSpec& spec) {
  boot_spec_ = spec;
  uint64_t entry = virt::kDramBase;
  uint64_t kernel_entry = 0, kernel_end = 0, end = 0;
  if (!spec.bios.empty()) entry = load_image(spec.bios, virt::kDramBase, end);
  if (!spec.kernel.empty()) {
    kernel_entry = load_image(spec.kernel, spec.bios.empty() ? virt::kDramBase : kKernelRawAddress, kernel_end);
    if (spec.bios.empty()) entry = kernel_entry;
  }
  uint64_t initrd_start = 0, initrd_end = 0;
  if (!spec.initrd.empty()) {
    // Far enough above the kernel that it will not be overwritten when the kernel unpacks
    // itself: halfway into RAM below 256 MiB of RAM, 128 MiB above the kernel otherwise (QEMU).
    const uint64_t size = file_size(spec.initrd);
    initrd_start = (kernel_entry ? kernel_entry : virt::kDramBase) + std::min(config_.ram_size / 2, 128 * kMiB);
    initrd_start = std::max(initrd_start, (kernel_end + kPageSize - 1) & ~kPageMask);
    hartbox::load_raw(spec.initrd, initrd_start, ram_);
    initrd_end = initrd_start + size;
  }
  device_tree_ = board_->device_tree(spec.append, initrd_start, initrd_end);
  const std::string& last_loaded = !spec.initrd.empty() ? spec.initrd : !spec.kernel.empty() ? spec.kernel : spec.bios;
  const uint64_t fdt_address =
      device_tree_address(config_.ram_size, device_tree_.size(), std::max({end, kernel_end, initrd_end}),
                          last_loaded.empty() ? std::string("the machine") : last_loaded);
  ram_.write(fdt_address, device_tree_.data(), device_tree_.size());

  uint64_t info_address = 0;
  if (!spec.bios.empty()) {
    FwDynamicInfo info;
    info.next_addr = kernel_entry ? kernel_entry : kKernelRawAddress;
    std::memcpy(board_->boot_rom().bytes.data(), &info, sizeof info);
    info_address = virt::kBootRomBase;
  }
  start_harts(entry, fdt_address, info_address);
}

void Machine::page_replaced(uint64_t paddr) {
  // A shared page got a private copy: cached pointers to the old one must go.
  for (auto& hart : harts_) hart->tlb().flush_physical_page(paddr);
}

void Machine::pages_shared() {
  for (auto& hart : harts_) hart->flush_tlb();
}

void Machine::reset() {
  // From the test device's 0x7777, inside an MMIO write: finish the slice, then reboot.
  reset_requested_ = true;
  for (auto& hart : harts_) hart->request_stop();
}

void Machine::exit(int code) {
  if (!exit_code_) exit_code_ = code;
  for (auto& hart : harts_) hart->request_stop();
}

SliceResult Machine::run_slice(uint64_t budget) {
  // The harts take turns on this thread, each for a share of the budget, so a machine is one
  // schedulable unit and its devices need no locks. LR/SC stay atomic: a hart's turn never
  // ends inside another hart's instruction.
  clock_.latch();
  SliceResult result{StopReason::Wait, 0};
  const uint64_t share = std::max<uint64_t>(1, budget / harts_.size());
  for (size_t i = 0; i < harts_.size(); ++i) {
    Hart& hart = *harts_[i];
    if (hart.waiting() && !hart.interrupt_pending()) continue;
    const SliceResult part = engines_[i]->run(hart, share);
    result.steps += part.steps;
    if (part.reason == StopReason::Requested)
      result.reason = StopReason::Requested;
    else if (part.reason == StopReason::Budget && result.reason != StopReason::Requested)
      result.reason = StopReason::Budget;
  }
  // Time as of the slice's last instruction, so that the devices, the deadline and any skip of
  // idle time start from the present, not from the slice's start.
  clock_.latch();
  board_->poll();
  if (htif_) htif_->poll();
  if (reset_requested_ && !exit_code_) {
    reset_requested_ = false;
    for (auto& hart : harts_) hart->clear_stop_request();
    board_->reset();
    if (boot_spec_) boot(*boot_spec_);
    else if (program_) start_harts(program_->entry, 0, 0);
  }
  return result;
}

RunOutcome Machine::run(uint64_t max_steps) {
  RunOutcome outcome{RunOutcome::Kind::Exited, 0, 0};
  const uint64_t limit = max_steps ? max_steps : std::numeric_limits<uint64_t>::max();
  while (!exit_code_) {
    if (outcome.steps >= limit) {
      outcome.kind = RunOutcome::Kind::InstructionLimit;
      return outcome;
    }
    const SliceResult slice = run_slice(std::min(kSliceSteps, limit - outcome.steps));
    outcome.steps += slice.steps;
    if (slice.reason != StopReason::Wait || exit_code_) continue;
    // The slice's closing device poll may have raised an interrupt that ends the wait.
    if (!idle()) continue;
    // Every hart waits for an interrupt. Virtual time jumps to the next deadline; real time
    // sleeps until it (briefly, so console input and network frames are seen promptly).
    const uint64_t deadline = board_->next_deadline();
    if (deadline == std::numeric_limits<uint64_t>::max() && !board_->has_external_inputs()) {
      outcome.kind = RunOutcome::Kind::Deadlock;
      return outcome;
    }
    if (clock_.mode() == MachineClock::Mode::Virtual && deadline != std::numeric_limits<uint64_t>::max() &&
        !board_->has_external_inputs()) {
      clock_.skip_to(deadline);
    } else {
      std::this_thread::sleep_for(std::min(clock_.until(deadline), std::chrono::nanoseconds{1'000'000}));
      if (clock_.mode() == MachineClock::Mode::Virtual && deadline != std::numeric_limits<uint64_t>::max())
        clock_.skip_to(std::min(deadline, clock_.mtime() + clock_.frequency_hz() / 1000));
    }
    board_->poll();
  }
  outcome.exit_code = *exit_code_;
  return outcome;
}

std::string Machine::signature() {
  const auto begin = program_ ? program_->symbol("begin_signature") : std::nullopt;
  const auto end = program_ ? program_->symbol("end_signature") : std::nullopt;
  if (!begin || !end || *end < *begin)
    throw LoadError("the program has no begin_signature/end_signature symbols for --signature");
  if (!ram_.contains(*begin, *end - *begin)) throw LoadError("the signature area is outside RAM");
  std::string text;
  for (uint64_t addr = *begin; addr + 4 <= *end; addr += 4) {
    uint32_t word;
    ram_.read(addr, &word, 4);
    char line[16];
    std::snprintf(line, sizeof line, "%08" PRIx32 "\n", word);
    text += line;
  }
  return text;
}

}  // namespace hartbox
