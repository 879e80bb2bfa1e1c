#include "devices/virt_board.hpp"

#include <libfdt.h>

#include <chrono>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "core/state_io.hpp"

namespace hartbox::virt {

bool BootRom::read(uint64_t offset, unsigned size, uint64_t& value) {
  if (offset + size > bytes.size()) return false;
  value = 0;
  std::memcpy(&value, bytes.data() + offset, size);
  return true;
}

void BootRom::save(StateWriter& out) const {
  out.begin_section(state_tag("BROM"));
  out.bytes(bytes.data(), bytes.size());
  out.end_section();
}

void BootRom::load(StateReader& in) {
  in.begin_section(state_tag("BROM"));
  in.bytes(bytes.data(), bytes.size());
  in.end_section();
}

VirtBoard::VirtBoard(Bus& bus, MachineClock& clock, PowerControl& power, BoardConfig config)
    : config_(std::move(config)), clock_(clock) {
  if (config_.harts.empty()) throw std::invalid_argument("the virt board needs at least one hart");
  if (config_.virtio_devices.size() > kVirtioSlots)
    throw std::invalid_argument("the virt board has " + std::to_string(kVirtioSlots) + " virtio slots");
  if (!config_.console) throw std::invalid_argument("the virt board needs a console");

  const uint64_t start_ns =
      config_.rtc_base_ns
          ? *config_.rtc_base_ns
          : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  rtc_clock_ = std::make_unique<VirtualWallClock>(clock_, clock_.frequency_hz(), start_ns);

  clint_ = std::make_unique<Clint>(config_.harts, clock_);
  plic_ = std::make_unique<Plic>(config_.harts);
  uart_ = std::make_unique<Uart16550>(*config_.console, config_.console_input, IrqLine{plic_.get(), kUartIrq});
  rtc_ = std::make_unique<GoldfishRtc>(*rtc_clock_, IrqLine{plic_.get(), kRtcIrq});
  test_ = std::make_unique<SifiveTest>(power);
  for (unsigned slot = 0; slot < kVirtioSlots; ++slot) {
    std::unique_ptr<VirtioDevice> device;
    if (slot < config_.virtio_devices.size()) device = std::move(config_.virtio_devices[slot]);
    virtio_.push_back(std::make_unique<VirtioMmio>(bus.ram(), IrqLine{plic_.get(), VirtioMmio::virt_slot_irq(slot)},
                                                   std::move(device), config_.virtio_version));
  }
  config_.virtio_devices.clear();

  bus.attach(kBootRomBase, kBootRomSize, boot_rom_);
  bus.attach(kTestBase, SifiveTest::kSize, *test_);
  bus.attach(kRtcBase, GoldfishRtc::kSize, *rtc_);
  bus.attach(kClintBase, Clint::kSize, *clint_);
  bus.attach(kPlicBase, Plic::kVirtWindowSize, *plic_);
  bus.attach(kUartBase, Uart16550::kSize, *uart_);
  for (unsigned slot = 0; slot < kVirtioSlots; ++slot)
    bus.attach(VirtioMmio::virt_slot_base(slot), VirtioMmio::kSize, *virtio_[slot]);
}

void VirtBoard::reset() {
  for (auto& slot : virtio_) slot->reset();
  uart_->reset();
  rtc_->reset();
  clint_->reset();
  plic_->reset();  // last: it sees the devices' lowered lines
}

void VirtBoard::poll() {
  clint_->update_timer_interrupts();
  for (Hart* hart : config_.harts) hart->update_supervisor_timer(clock_.mtime());
  uart_->poll();
  rtc_->poll();
  for (auto& slot : virtio_) slot->poll();
}

uint64_t VirtBoard::next_deadline() const {
  uint64_t deadline = clint_->next_deadline();
  for (const Hart* hart : config_.harts) deadline = std::min(deadline, hart->supervisor_timer_deadline(clock_.mtime()));
  for (const auto& slot : virtio_) deadline = std::min(deadline, slot->next_deadline());
  const uint64_t alarm_ns = rtc_->next_deadline_ns();
  if (alarm_ns != std::numeric_limits<uint64_t>::max()) {
    const uint64_t now_ns = rtc_clock_->now_ns();
    const uint64_t delta_ns = alarm_ns > now_ns ? alarm_ns - now_ns : 0;
    const uint64_t ticks = delta_ns / (1'000'000'000 / clock_.frequency_hz());
    deadline = std::min(deadline, clock_.mtime() + ticks);
  }
  return deadline;
}

bool VirtBoard::has_external_inputs() const {
  if (config_.console_input) return true;
  for (const auto& slot : virtio_)
    if (slot->device() && slot->device()->device_id() == 1) return true;  // a network card
  return false;
}

void VirtBoard::save(StateWriter& out) const {
  out.begin_section(state_tag("BORD"));
  boot_rom_.save(out);
  clint_->save(out);
  uart_->save(out);
  rtc_->save(out);
  out.u64(virtio_.size());
  for (const auto& slot : virtio_) slot->save(out);
  plic_->save(out);
  out.end_section();
}

void VirtBoard::load(StateReader& in) {
  in.begin_section(state_tag("BORD"));
  boot_rom_.load(in);
  clint_->load(in);
  uart_->load(in);
  rtc_->load(in);
  in.expect(in.u64() == virtio_.size(), "the snapshot's board has another number of virtio slots");
  for (auto& slot : virtio_) slot->load(in);
  plic_->load(in);
  in.end_section();
}

// --- The device tree (Documentation/devicetree/bindings in Linux; QEMU hw/riscv/virt.c) ---

namespace {

class FdtWriter {
 public:
  explicit FdtWriter(size_t capacity) : blob_(capacity) {
    check(fdt_create(blob_.data(), static_cast<int>(capacity)));
    check(fdt_finish_reservemap(blob_.data()));
  }
  void begin(const char* name) { check(fdt_begin_node(blob_.data(), name)); }
  void end() { check(fdt_end_node(blob_.data())); }
  void prop(const char* name, const std::string& value) {
    check(fdt_property(blob_.data(), name, value.c_str(), static_cast<int>(value.size() + 1)));
  }
  void prop(const char* name, const char* value) { prop(name, std::string(value)); }
  // A list of strings (e.g. compatible = "a", "b").
  void strings(const char* name, std::initializer_list<const char*> values) {
    std::string joined;
    for (const char* v : values) joined.append(v).push_back('\0');
    check(fdt_property(blob_.data(), name, joined.data(), static_cast<int>(joined.size())));
  }
  void u32(const char* name, uint32_t value) { check(fdt_property_u32(blob_.data(), name, value)); }
  void u64(const char* name, uint64_t value) { check(fdt_property_u64(blob_.data(), name, value)); }
  void cells(const char* name, const std::vector<uint32_t>& values) {
    std::vector<fdt32_t> be;
    for (uint32_t v : values) be.push_back(cpu_to_fdt32(v));
    check(fdt_property(blob_.data(), name, be.data(), static_cast<int>(be.size() * sizeof(fdt32_t))));
  }
  // reg = <base-hi base-lo size-hi size-lo> with #address-cells = #size-cells = 2.
  void reg(uint64_t base, uint64_t size) {
    cells("reg", {static_cast<uint32_t>(base >> 32), static_cast<uint32_t>(base), static_cast<uint32_t>(size >> 32),
                  static_cast<uint32_t>(size)});
  }
  void empty(const char* name) { check(fdt_property(blob_.data(), name, nullptr, 0)); }
  std::vector<uint8_t> finish() {
    check(fdt_finish(blob_.data()));
    blob_.resize(fdt_totalsize(blob_.data()));
    return std::move(blob_);
  }

 private:
  static void check(int result) {
    if (result < 0) throw std::runtime_error(std::string("device tree: ") + fdt_strerror(result));
  }
  std::vector<uint8_t> blob_;
};

std::string hex_node(const char* name, uint64_t address) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s@%llx", name, static_cast<unsigned long long>(address));
  return buffer;
}

}  // namespace

std::vector<uint8_t> VirtBoard::device_tree(const std::string& bootargs, uint64_t initrd_start,
                                            uint64_t initrd_end) const {
  const auto harts = static_cast<uint32_t>(config_.harts.size());
  // Phandles: 1 = PLIC, 2 = test device, 3 + h = hart h's interrupt controller.
  constexpr uint32_t kPlicPhandle = 1, kTestPhandle = 2, kFirstIntcPhandle = 3;
  const uint32_t first_cpu_phandle = kFirstIntcPhandle + harts;

  FdtWriter fdt(16384 + 1024 * harts + bootargs.size());
  fdt.begin("");
  fdt.u32("#address-cells", 2);
  fdt.u32("#size-cells", 2);
  fdt.prop("compatible", "riscv-virtio");
  fdt.prop("model", "riscv-virtio,qemu");

  fdt.begin("chosen");
  if (!bootargs.empty()) fdt.prop("bootargs", bootargs);
  fdt.prop("stdout-path", hex_node("/soc/serial", kUartBase));
  if (initrd_end > initrd_start) {
    fdt.u64("linux,initrd-start", initrd_start);
    fdt.u64("linux,initrd-end", initrd_end);
  }
  fdt.end();

  fdt.begin(hex_node("memory", kDramBase).c_str());
  fdt.prop("device_type", "memory");
  fdt.reg(kDramBase, config_.ram_size);
  fdt.end();

  fdt.begin("cpus");
  fdt.u32("#address-cells", 1);
  fdt.u32("#size-cells", 0);
  fdt.u32("timebase-frequency", static_cast<uint32_t>(clock_.frequency_hz()));
  for (uint32_t h = 0; h < harts; ++h) {
    fdt.begin(hex_node("cpu", h).c_str());
    fdt.u32("phandle", first_cpu_phandle + h);
    fdt.prop("device_type", "cpu");
    fdt.u32("reg", h);
    fdt.prop("status", "okay");
    fdt.prop("compatible", "riscv");
    fdt.prop("riscv,isa", config_.isa_string);
    fdt.prop("mmu-type", config_.mmu_type);
    fdt.begin("interrupt-controller");
    fdt.u32("#interrupt-cells", 1);
    fdt.empty("interrupt-controller");
    fdt.prop("compatible", "riscv,cpu-intc");
    fdt.u32("phandle", kFirstIntcPhandle + h);
    fdt.end();
    fdt.end();
  }
  fdt.begin("cpu-map");
  fdt.begin("cluster0");
  for (uint32_t h = 0; h < harts; ++h) {
    fdt.begin(("core" + std::to_string(h)).c_str());
    fdt.u32("cpu", first_cpu_phandle + h);
    fdt.end();
  }
  fdt.end();
  fdt.end();
  fdt.end();  // cpus

  fdt.begin("poweroff");
  fdt.prop("compatible", "syscon-poweroff");
  fdt.u32("regmap", kTestPhandle);
  fdt.u32("offset", 0);
  fdt.u32("value", SifiveTest::kFinisherPass);
  fdt.end();
  fdt.begin("reboot");
  fdt.prop("compatible", "syscon-reboot");
  fdt.u32("regmap", kTestPhandle);
  fdt.u32("offset", 0);
  fdt.u32("value", SifiveTest::kFinisherReset);
  fdt.end();

  fdt.begin("soc");
  fdt.u32("#address-cells", 2);
  fdt.u32("#size-cells", 2);
  fdt.prop("compatible", "simple-bus");
  fdt.empty("ranges");

  fdt.begin(hex_node("rtc", kRtcBase).c_str());
  fdt.u32("interrupts", kRtcIrq);
  fdt.u32("interrupt-parent", kPlicPhandle);
  fdt.reg(kRtcBase, GoldfishRtc::kSize);
  fdt.prop("compatible", "google,goldfish-rtc");
  fdt.end();

  fdt.begin(hex_node("serial", kUartBase).c_str());
  fdt.u32("interrupts", kUartIrq);
  fdt.u32("interrupt-parent", kPlicPhandle);
  fdt.u32("clock-frequency", kUartClockHz);
  fdt.reg(kUartBase, Uart16550::kSize);
  fdt.prop("compatible", "ns16550a");
  fdt.end();

  fdt.begin(hex_node("test", kTestBase).c_str());
  fdt.u32("phandle", kTestPhandle);
  fdt.reg(kTestBase, kTestSize);
  fdt.strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
  fdt.end();

  // Slots in descending address order, as QEMU emits them (Linux then numbers them upwards).
  for (unsigned slot = kVirtioSlots; slot-- > 0;) {
    fdt.begin(hex_node("virtio_mmio", VirtioMmio::virt_slot_base(slot)).c_str());
    fdt.u32("interrupts", VirtioMmio::virt_slot_irq(slot));
    fdt.u32("interrupt-parent", kPlicPhandle);
    fdt.reg(VirtioMmio::virt_slot_base(slot), VirtioMmio::kSize);
    fdt.prop("compatible", "virtio,mmio");
    fdt.end();
  }

  std::vector<uint32_t> plic_irqs, clint_irqs;
  for (uint32_t h = 0; h < harts; ++h) {
    plic_irqs.insert(plic_irqs.end(), {kFirstIntcPhandle + h, 11, kFirstIntcPhandle + h, 9});
    clint_irqs.insert(clint_irqs.end(), {kFirstIntcPhandle + h, 3, kFirstIntcPhandle + h, 7});
  }
  fdt.begin(hex_node("plic", kPlicBase).c_str());
  fdt.u32("phandle", kPlicPhandle);
  fdt.u32("riscv,ndev", Plic::kNumSources - 1);
  fdt.reg(kPlicBase, Plic::kVirtWindowSize);
  fdt.cells("interrupts-extended", plic_irqs);
  fdt.empty("interrupt-controller");
  fdt.strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
  fdt.u32("#address-cells", 0);
  fdt.u32("#interrupt-cells", 1);
  fdt.end();

  fdt.begin(hex_node("clint", kClintBase).c_str());
  fdt.cells("interrupts-extended", clint_irqs);
  fdt.reg(kClintBase, Clint::kSize);
  fdt.strings("compatible", {"sifive,clint0", "riscv,clint0"});
  fdt.end();

  fdt.end();  // soc
  fdt.end();  // root
  return fdt.finish();
}

}  // namespace hartbox::virt
