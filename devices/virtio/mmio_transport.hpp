// virtio over MMIO (virtio 1.2, section 4.2): one 0x1000-byte slot of QEMU's `virt` board,
// in the modern (Version 2) or the legacy (Version 1, 4.2.4) register layout, plus the abstract
// VirtioDevice that sits behind it.
//
// Wiring on `virt`: slot n (0..7) at 0x1000_1000 + 0x1000 * n, PLIC source 1 + n. Linux probes
// all eight slots, so an empty slot (no device, DeviceID 0) is a VirtioMmio with a null device.
//
// Threads: a VirtioMmio serialises everything behind one mutex: register accesses from any hart
// thread and poll() from the board. Device callbacks (queue_notify, poll, reset, config access)
// run with that mutex held, so a device sees one thread at a time and may call its transport()
// freely from them. Queue processing is synchronous: a QueueNotify write runs the device's
// request handling on the writing hart's thread before the write returns; poll() does the work
// that arrives from outside the guest (received network frames).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "core/bus.hpp"
#include "core/guest_ram.hpp"
#include "devices/irq.hpp"
#include "devices/virtio/virtqueue.hpp"

namespace hartbox {

class StateWriter;
class StateReader;

// What a device may ask of the transport it is attached to.
class VirtioTransport {
 public:
  virtual ~VirtioTransport() = default;
  virtual GuestRam& ram() = 0;
  virtual Virtqueue& queue(unsigned index) = 0;
  // The feature bits the driver accepted (meaningful from FEATURES_OK, or DRIVER_OK on legacy).
  virtual uint64_t driver_features() const = 0;
  bool has_feature(unsigned bit) const { return (driver_features() & virtio::feature_bit(bit)) != 0; }
  // True on the legacy (Version 1) interface.
  virtual bool legacy() const = 0;
  // After pushing used buffers onto `queue`: raises the used buffer interrupt unless the driver
  // suppressed it.
  virtual void notify_used(unsigned queue) = 0;
  // The device configuration space changed: bumps ConfigGeneration and, once DRIVER_OK is set,
  // raises the configuration change interrupt.
  virtual void config_changed() = 0;
};

// A virtio device type (block, network, entropy...): its identity, features, configuration
// space and request processing. Owned by its transport; all calls come with the transport's
// mutex held (see the file comment).
class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;

  virtual uint32_t device_id() const = 0;
  // Every feature the device offers, including the reserved ones (VERSION_1, ring features).
  virtual uint64_t device_features() const = 0;
  virtual unsigned num_queues() const = 0;
  virtual uint16_t queue_max_size(unsigned queue) const = 0;

  // The device-specific configuration space (little-endian fields; the transport only asks
  // for ranges inside config_size()).
  virtual uint32_t config_size() const = 0;
  virtual void read_config(uint32_t offset, std::span<uint8_t> out) const = 0;
  // Driver writes to the configuration space; read-only by default.
  virtual void write_config(uint32_t offset, std::span<const uint8_t> in) {
    (void)offset;
    (void)in;
  }

  // The driver set DRIVER_OK: features are final and the queues may be used.
  virtual void activate() {}
  // The driver notified `queue` (ready, and DRIVER_OK set).
  virtual void queue_notify(unsigned queue) = 0;
  // Work that does not come from the guest (e.g. frames received from a network backend).
  virtual void poll() {}
  // The machine clock's tick (mtime) at which poll() will have work that no outside event
  // brings (a request waiting for a bandwidth limit), or UINT64_MAX.
  virtual uint64_t next_deadline() const { return UINT64_MAX; }
  // Device reset (status 0 written): back to the state after construction.
  virtual void reset() = 0;

  // Snapshots: the device's own state (the transport saves its registers and queues). A device
  // with nothing beyond its construction parameters saves nothing. load() throws SnapshotError
  // if the saved state does not fit this device.
  virtual void save(StateWriter& out) const { (void)out; }
  virtual void load(StateReader& in) { (void)in; }

  // Called by the transport when it takes ownership.
  void attach(VirtioTransport* transport) { transport_ = transport; }

 protected:
  VirtioTransport& transport() const { return *transport_; }

 private:
  VirtioTransport* transport_ = nullptr;
};

class VirtioMmio final : public Device, private VirtioTransport {
 public:
  enum class Version : uint32_t { Legacy = 1, Modern = 2 };

  static constexpr uint64_t kSize = 0x1000;
  static constexpr uint32_t kMagic = 0x74726976;      // "virt"
  static constexpr uint32_t kVendorQemu = 0x554d4551;  // "QEMU", as on QEMU's virt
  static constexpr uint64_t kVirtBase = 0x1000'1000;
  static constexpr unsigned kVirtSlots = 8;
  static constexpr uint64_t virt_slot_base(unsigned slot) { return kVirtBase + kSize * slot; }
  static constexpr unsigned virt_slot_irq(unsigned slot) { return 1 + slot; }

  // InterruptStatus bits (4.2.2).
  static constexpr uint32_t kInterruptUsedBuffer = 1;
  static constexpr uint32_t kInterruptConfigChange = 2;

  // Register offsets (4.2.2, 4.2.4).
  enum Reg : uint32_t {
    kRegMagic = 0x000,
    kRegVersion = 0x004,
    kRegDeviceId = 0x008,
    kRegVendorId = 0x00c,
    kRegDeviceFeatures = 0x010,
    kRegDeviceFeaturesSel = 0x014,
    kRegDriverFeatures = 0x020,
    kRegDriverFeaturesSel = 0x024,
    kRegGuestPageSize = 0x028,  // legacy
    kRegQueueSel = 0x030,
    kRegQueueNumMax = 0x034,
    kRegQueueNum = 0x038,
    kRegQueueAlign = 0x03c,  // legacy
    kRegQueuePfn = 0x040,    // legacy
    kRegQueueReady = 0x044,
    kRegQueueNotify = 0x050,
    kRegInterruptStatus = 0x060,
    kRegInterruptAck = 0x064,
    kRegStatus = 0x070,
    kRegQueueDescLow = 0x080,
    kRegQueueDescHigh = 0x084,
    kRegQueueDriverLow = 0x090,
    kRegQueueDriverHigh = 0x094,
    kRegQueueDeviceLow = 0x0a0,
    kRegQueueDeviceHigh = 0x0a4,
    kRegShmSel = 0x0ac,
    kRegShmLenLow = 0x0b0,
    kRegShmLenHigh = 0x0b4,
    kRegShmBaseLow = 0x0b8,
    kRegShmBaseHigh = 0x0bc,
    kRegQueueReset = 0x0c0,
    kRegConfigGeneration = 0x0fc,
    kRegConfig = 0x100,
  };

  // `device` may be null: an empty slot (DeviceID 0). `ram` must outlive the transport.
  VirtioMmio(GuestRam& ram, IrqLine irq, std::unique_ptr<VirtioDevice> device,
             Version version = Version::Modern);
  ~VirtioMmio() override;
  VirtioMmio(const VirtioMmio&) = delete;
  VirtioMmio& operator=(const VirtioMmio&) = delete;

  std::string_view name() const override { return "virtio-mmio"; }
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;

  // Lets the device do work that comes from outside the guest (network RX). The board calls it
  // from the machine's thread between slices, and soon after a backend's wake-up callback.
  void poll();
  // The device's next_deadline() while the driver has it running, else UINT64_MAX.
  uint64_t next_deadline() const;
  // A system reset: as if the driver had written 0 to Status (virtio 1.2, 4.2.2.1).
  void reset();

  VirtioDevice* device() { return device_.get(); }
  Version version() const { return version_; }
  uint32_t status() const;
  uint32_t interrupt_status() const;
  uint32_t config_generation() const;

  // Snapshots: status, features and selectors, interrupt status, every queue's registers and
  // ring state, then the device's own state. load() needs the same device type and version in
  // this slot and does not drive the interrupt line (the PLIC's snapshot holds its level).
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  struct QueueRegs {
    uint32_t num = 0;
    uint64_t desc = 0, driver = 0, device = 0;  // modern
    uint32_t align = 4096, pfn = 0;             // legacy
  };

  uint32_t read_register(uint32_t offset);
  void write_register(uint32_t offset, uint32_t value);
  void write_status(uint32_t value);
  void reset_locked();
  void raise(uint32_t bits);
  void check_broken();
  bool features_acceptable() const;
  uint64_t offered_features() const;
  QueueRegs* selected_queue();

  // VirtioTransport (called by the device with mutex_ held).
  GuestRam& ram() override { return ram_; }
  Virtqueue& queue(unsigned index) override { return queues_[index]; }
  uint64_t driver_features() const override { return driver_features_; }
  bool legacy() const override { return version_ == Version::Legacy; }
  void notify_used(unsigned queue) override;
  void config_changed() override;

  GuestRam& ram_;
  IrqLine irq_;
  std::unique_ptr<VirtioDevice> device_;
  Version version_;
  mutable std::mutex mutex_;

  std::vector<Virtqueue> queues_;
  std::vector<QueueRegs> queue_regs_;
  uint32_t status_ = 0;
  uint32_t interrupt_status_ = 0;
  uint32_t config_generation_ = 0;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint64_t driver_features_ = 0;
  uint32_t queue_sel_ = 0;
  uint32_t guest_page_size_ = 4096;  // legacy
};

}  // namespace hartbox
