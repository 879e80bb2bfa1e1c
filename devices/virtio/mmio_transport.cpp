#include "devices/virtio/mmio_transport.hpp"

#include <bit>

#include "core/state_io.hpp"

namespace hartbox {

using namespace virtio;

VirtioMmio::VirtioMmio(GuestRam& ram, IrqLine irq, std::unique_ptr<VirtioDevice> device,
                       Version version)
    : ram_(ram), irq_(irq), device_(std::move(device)), version_(version) {
  if (!device_) return;
  device_->attach(this);
  const unsigned n = device_->num_queues();
  queues_.reserve(n);
  queue_regs_.resize(n);
  for (unsigned i = 0; i < n; ++i) {
    queues_.emplace_back(ram_, device_->queue_max_size(i));
    queue_regs_[i].num = queues_[i].max_size();
  }
}

VirtioMmio::~VirtioMmio() = default;

uint32_t VirtioMmio::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

uint32_t VirtioMmio::interrupt_status() const {
  std::lock_guard lock(mutex_);
  return interrupt_status_;
}

uint32_t VirtioMmio::config_generation() const {
  std::lock_guard lock(mutex_);
  return config_generation_;
}

uint64_t VirtioMmio::offered_features() const {
  if (!device_) return 0;
  const uint64_t f = device_->device_features();
  // A modern device offers VERSION_1 (6.1); a legacy one offers only the first 32 bits, as
  // QEMU's legacy virtio-mmio does (there is no way to negotiate VERSION_1 over it).
  return legacy() ? (f & 0xffff'ffffu) : (f | feature_bit(kFVersion1));
}

bool VirtioMmio::features_acceptable() const {
  // 2.2.2: the driver accepts only offered features; 6.1: a modern driver accepts VERSION_1.
  if (driver_features_ & ~offered_features()) return false;
  return (driver_features_ & feature_bit(kFVersion1)) != 0;
}

VirtioMmio::QueueRegs* VirtioMmio::selected_queue() {
  return queue_sel_ < queue_regs_.size() ? &queue_regs_[queue_sel_] : nullptr;
}

bool VirtioMmio::read(uint64_t offset, unsigned size, uint64_t& value) {
  if (offset >= kSize || size == 0 || size > 8 || offset + size > kSize) return false;
  std::lock_guard lock(mutex_);
  value = 0;
  if (offset >= kRegConfig) {
    // 4.2.2: the configuration space is accessed with byte alignment; 8-, 16-, 32- and (for
    // drivers that split nothing) 64-bit accesses are served; bytes past its end read as 0.
    const uint32_t at = static_cast<uint32_t>(offset - kRegConfig);
    if (!device_ || uint64_t{at} + size > device_->config_size()) return true;
    uint8_t bytes[8] = {};
    device_->read_config(at, std::span<uint8_t>(bytes, size));
    value = load_le64(bytes);
    return true;
  }
  // 4.2.2: control registers are 32 bits wide and aligned. Other accesses read as 0, as on
  // QEMU, rather than faulting the guest.
  if (size != 4 || (offset & 3) != 0) return true;
  value = read_register(static_cast<uint32_t>(offset));
  return true;
}

bool VirtioMmio::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset >= kSize || size == 0 || size > 8 || offset + size > kSize) return false;
  std::lock_guard lock(mutex_);
  if (offset >= kRegConfig) {
    const uint32_t at = static_cast<uint32_t>(offset - kRegConfig);
    if (!device_ || uint64_t{at} + size > device_->config_size()) return true;
    uint8_t bytes[8];
    store_le64(bytes, value);
    device_->write_config(at, std::span<const uint8_t>(bytes, size));
    return true;
  }
  if (size != 4 || (offset & 3) != 0) return true;  // ignored, as on QEMU
  write_register(static_cast<uint32_t>(offset), static_cast<uint32_t>(value));
  return true;
}

uint32_t VirtioMmio::read_register(uint32_t offset) {
  switch (offset) {
    case kRegMagic: return kMagic;
    case kRegVersion: return static_cast<uint32_t>(version_);
    case kRegDeviceId: return device_ ? device_->device_id() : 0;
    case kRegVendorId: return kVendorQemu;
    default: break;
  }
  // 4.2.3.1: a driver stops at DeviceID 0; anything else on an empty slot reads as 0.
  if (!device_) return 0;
  const QueueRegs* q = selected_queue();
  const Virtqueue* vq = q ? &queues_[queue_sel_] : nullptr;
  switch (offset) {
    case kRegDeviceFeatures: {
      const uint64_t f = offered_features();
      if (device_features_sel_ == 0) return static_cast<uint32_t>(f);
      if (device_features_sel_ == 1) return static_cast<uint32_t>(f >> 32);
      return 0;
    }
    case kRegQueueNumMax: return vq ? vq->max_size() : 0;
    case kRegQueuePfn: return legacy() && vq && vq->ready() ? q->pfn : 0;
    case kRegQueueReady: return !legacy() && vq && vq->ready() ? 1 : 0;
    case kRegInterruptStatus: return interrupt_status_;
    case kRegStatus: return status_;
    case kRegShmLenLow:
    case kRegShmLenHigh:
    case kRegShmBaseLow:
    case kRegShmBaseHigh:
      // No shared memory regions: length -1 and base all-ones (4.2.2).
      return legacy() ? 0 : 0xffff'ffffu;
    case kRegConfigGeneration: return legacy() ? 0 : config_generation_;
    default: return 0;  // write-only and reserved registers
  }
}

void VirtioMmio::write_register(uint32_t offset, uint32_t value) {
  if (!device_) return;
  QueueRegs* q = selected_queue();
  Virtqueue* vq = q ? &queues_[queue_sel_] : nullptr;
  // 4.2.2: the driver must not change a queue's configuration while it is in use; such writes
  // are ignored so a running queue never changes shape under the device.
  const bool queue_configurable = vq && !vq->ready() && !vq->broken();
  switch (offset) {
    case kRegDeviceFeaturesSel: device_features_sel_ = value; break;
    case kRegDriverFeatures:
      // 2.2.1 / 3.1.1: features are final once FEATURES_OK (or, legacy, DRIVER_OK) is set.
      if (status_ & (kStatusFeaturesOk | kStatusDriverOk)) break;
      if (driver_features_sel_ == 0) {
        driver_features_ = (driver_features_ & ~uint64_t{0xffff'ffffu}) | value;
      } else if (driver_features_sel_ == 1) {
        driver_features_ = (driver_features_ & 0xffff'ffffu) | (uint64_t{value} << 32);
      }
      break;
    case kRegDriverFeaturesSel: driver_features_sel_ = value; break;
    case kRegGuestPageSize:
      if (legacy()) guest_page_size_ = value;
      break;
    case kRegQueueSel: queue_sel_ = value; break;
    case kRegQueueNum:
      if (queue_configurable) q->num = value;
      break;
    case kRegQueueAlign:
      if (legacy() && queue_configurable) q->align = value;
      break;
    case kRegQueuePfn:
      if (!legacy() || !vq) break;
      if (value == 0) {
        vq->disable();
        q->pfn = 0;
        break;
      }
      if (!queue_configurable) break;
      q->pfn = value;
      if (guest_page_size_ == 0 || !std::has_single_bit(guest_page_size_) || q->align == 0 ||
          !std::has_single_bit(q->align)) {
        vq->mark_broken("legacy GuestPageSize or QueueAlign is not a power of two");
      } else {
        vq->set_features(driver_features_);
        vq->enable(q->num, Virtqueue::legacy_layout(uint64_t{value} * guest_page_size_, q->num,
                                                    q->align));
      }
      check_broken();
      break;
    case kRegQueueReady:
      if (legacy() || !vq) break;
      if ((value & 1) == 0) {
        vq->disable();
      } else if (queue_configurable) {
        vq->set_features(driver_features_);
        vq->enable(q->num, VirtqueueLayout{q->desc, q->driver, q->device});
        check_broken();
      }
      break;
    case kRegQueueNotify: {
      // Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index (4.2.3.3).
      const uint32_t index = value & 0xffff;
      if (!(status_ & kStatusDriverOk) || index >= queues_.size()) break;
      if (!queues_[index].ready() || queues_[index].broken()) break;
      device_->queue_notify(index);
      check_broken();
      break;
    }
    case kRegInterruptAck:
      interrupt_status_ &= ~value;
      if (interrupt_status_ == 0) irq_.set(false);
      break;
    case kRegStatus: write_status(value); break;
    case kRegQueueDescLow:
      if (!legacy() && queue_configurable) q->desc = (q->desc & ~uint64_t{0xffff'ffffu}) | value;
      break;
    case kRegQueueDescHigh:
      if (!legacy() && queue_configurable) q->desc = (q->desc & 0xffff'ffffu) | (uint64_t{value} << 32);
      break;
    case kRegQueueDriverLow:
      if (!legacy() && queue_configurable) q->driver = (q->driver & ~uint64_t{0xffff'ffffu}) | value;
      break;
    case kRegQueueDriverHigh:
      if (!legacy() && queue_configurable) q->driver = (q->driver & 0xffff'ffffu) | (uint64_t{value} << 32);
      break;
    case kRegQueueDeviceLow:
      if (!legacy() && queue_configurable) q->device = (q->device & ~uint64_t{0xffff'ffffu}) | value;
      break;
    case kRegQueueDeviceHigh:
      if (!legacy() && queue_configurable) q->device = (q->device & 0xffff'ffffu) | (uint64_t{value} << 32);
      break;
    default: break;  // read-only, reserved, SHMSel, QueueReset (RING_RESET is not offered)
  }
}

// The device status state machine (2.1, 3.1.1). Writing 0 resets the device. Otherwise the
// driver may only add bits (2.1.2: it must not clear any): ACKNOWLEDGE, DRIVER, FEATURES_OK
// (modern only; refused, i.e. left clear, if the accepted features are not a subset of the
// offered ones or lack VERSION_1), DRIVER_OK (modern: only after FEATURES_OK). FAILED may be set
// at any time.
// DEVICE_NEEDS_RESET belongs to the device. Writes that break these rules are ignored, as
// Firecracker does.
void VirtioMmio::write_status(uint32_t value) {
  if (value == 0) {
    reset_locked();
    return;
  }
  const uint32_t driver_bits = kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk |
                               kStatusDriverOk | kStatusFailed;
  value &= driver_bits;
  const uint32_t current = status_ & driver_bits;
  if ((value & current) != current) return;  // clears a bit
  const uint32_t added = value & ~current;
  // ACKNOWLEDGE and DRIVER are taken in any order: U-Boot resets the device after
  // acknowledging it and then sets DRIVER alone, and QEMU accepts that.
  if (added & kStatusFailed) status_ |= kStatusFailed;
  if (added & kStatusAcknowledge) status_ |= kStatusAcknowledge;
  if (added & kStatusDriver) status_ |= kStatusDriver;
  if ((added & kStatusFeaturesOk) && !legacy()) {
    if (!features_acceptable()) return;  // the driver reads FEATURES_OK back as clear
    status_ |= kStatusFeaturesOk;
  }
  if (added & kStatusDriverOk) {
    if (!legacy() && !(status_ & kStatusFeaturesOk)) return;
    // A legacy driver cannot be refused features; keep only the offered ones, as QEMU does.
    if (legacy()) driver_features_ &= offered_features();
    status_ |= kStatusDriverOk;
    for (Virtqueue& vq : queues_) vq.set_features(driver_features_);
    if (device_) device_->activate();
    check_broken();
  }
}

void VirtioMmio::reset() {
  std::lock_guard lock(mutex_);
  reset_locked();
}

void VirtioMmio::reset_locked() {
  status_ = 0;
  driver_features_ = 0;
  device_features_sel_ = 0;
  driver_features_sel_ = 0;
  queue_sel_ = 0;
  guest_page_size_ = 4096;
  if (interrupt_status_ != 0) {
    interrupt_status_ = 0;
    irq_.set(false);
  }
  for (size_t i = 0; i < queues_.size(); ++i) {
    queues_[i].reset();
    queue_regs_[i] = QueueRegs{};
    queue_regs_[i].num = queues_[i].max_size();
  }
  if (device_) device_->reset();
}

void VirtioMmio::raise(uint32_t bits) {
  interrupt_status_ |= bits;
  // Every notification drives the line, even one already high (QEMU's
  // virtio_mmio_update_irq()): the PLIC takes each drive as a new event (plic.hpp).
  irq_.set(true);
}

// 2.1.2: a device in an error state sets DEVICE_NEEDS_RESET and, if DRIVER_OK is set, sends a
// configuration change notification.
void VirtioMmio::check_broken() {
  if (status_ & kStatusNeedsReset) return;
  for (const Virtqueue& vq : queues_) {
    if (!vq.broken()) continue;
    status_ |= kStatusNeedsReset;
    if (status_ & kStatusDriverOk) raise(kInterruptConfigChange);
    return;
  }
}

void VirtioMmio::notify_used(unsigned queue) {
  if (queue < queues_.size() && queues_[queue].needs_notification()) raise(kInterruptUsedBuffer);
}

void VirtioMmio::config_changed() {
  ++config_generation_;
  if (status_ & kStatusDriverOk) raise(kInterruptConfigChange);
}

void VirtioMmio::poll() {
  std::lock_guard lock(mutex_);
  if (!device_ || !(status_ & kStatusDriverOk)) return;
  device_->poll();
  check_broken();
}

uint64_t VirtioMmio::next_deadline() const {
  std::lock_guard lock(mutex_);
  if (!device_ || !(status_ & kStatusDriverOk)) return UINT64_MAX;
  return device_->next_deadline();
}

void VirtioMmio::save(StateWriter& out) const {
  std::lock_guard lock(mutex_);
  out.begin_section(state_tag("VMIO"));
  out.u32(device_ ? device_->device_id() : 0);
  out.u32(static_cast<uint32_t>(version_));
  out.u32(status_);
  out.u32(interrupt_status_);
  out.u32(config_generation_);
  out.u32(device_features_sel_);
  out.u32(driver_features_sel_);
  out.u64(driver_features_);
  out.u32(queue_sel_);
  out.u32(guest_page_size_);
  out.u64(queues_.size());
  for (size_t i = 0; i < queues_.size(); ++i) {
    const QueueRegs& q = queue_regs_[i];
    out.u32(q.num);
    out.u64(q.desc);
    out.u64(q.driver);
    out.u64(q.device);
    out.u32(q.align);
    out.u32(q.pfn);
    queues_[i].save(out);
  }
  if (device_) device_->save(out);
  out.end_section();
}

void VirtioMmio::load(StateReader& in) {
  std::lock_guard lock(mutex_);
  in.begin_section(state_tag("VMIO"));
  const uint32_t id = in.u32();
  const uint32_t version = in.u32();
  in.expect(id == (device_ ? device_->device_id() : 0),
            "the virtio-mmio slot on interrupt " + std::to_string(irq_.source) + " holds device type " +
                std::to_string(id) + " in the snapshot but " + std::to_string(device_ ? device_->device_id() : 0) +
                " in this machine");
  in.expect(version == static_cast<uint32_t>(version_), "the snapshot's virtio-mmio version differs from this machine's");
  status_ = in.u32();
  interrupt_status_ = in.u32();
  config_generation_ = in.u32();
  device_features_sel_ = in.u32();
  driver_features_sel_ = in.u32();
  driver_features_ = in.u64();
  queue_sel_ = in.u32();
  guest_page_size_ = in.u32();
  in.expect(in.u64() == queues_.size(), "the snapshot's virtio device has another number of queues");
  for (size_t i = 0; i < queues_.size(); ++i) {
    QueueRegs& q = queue_regs_[i];
    q.num = in.u32();
    q.desc = in.u64();
    q.driver = in.u64();
    q.device = in.u64();
    q.align = in.u32();
    q.pfn = in.u32();
    queues_[i].load(in);
  }
  if (device_) device_->load(in);
  in.end_section();
}

}  // namespace hartbox
