#include "devices/htif.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/state_io.hpp"

namespace hartbox {

namespace {

constexpr uint64_t kPayloadMask = (uint64_t{1} << 48) - 1;
constexpr uint64_t kDeviceSyscall = 0, kDeviceConsole = 1;
constexpr uint64_t kConsoleGetchar = 0, kConsolePutchar = 1;

// fesvr's proxied system calls use the RISC-V Linux numbers and errno values; these are the
// guest's ABI, so they are spelled out rather than taken from the host's headers.
constexpr uint64_t kSysWrite = 64, kSysExit = 93, kSysExitGroup = 94;
constexpr int64_t kGuestEBADF = 9, kGuestEFAULT = 14, kGuestENOSYS = 38;

// A guest that never empties fromhost, or sends getchar after getchar, must not grow host
// memory without bound; real guests keep at most one request in flight.
constexpr size_t kMaxQueued = 64;

std::string hex(uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  do s.insert(s.begin(), digits[value & 15]);
  while (value >>= 4);
  return "0x" + s;
}

}  // namespace

Htif::Htif(GuestRam& ram, uint64_t tohost, std::optional<uint64_t> fromhost, ExitHandler on_exit, ConsoleSink* console,
           ConsoleSource* input)
    : ram_(ram),
      tohost_address_(tohost),
      fromhost_address_(fromhost),
      on_exit_(std::move(on_exit)),
      own_console_(console ? nullptr : std::make_unique<StdoutConsoleSink>()),
      own_input_(input ? nullptr : std::make_unique<StdinConsoleSource>()),
      console_(console ? *console : *own_console_),
      input_(input ? *input : *own_input_),
      window_base_(tohost) {
  // The last aligned word whose window end (address + 8) does not wrap.
  constexpr uint64_t kHighestWord = ~uint64_t{0} - 15;
  if ((tohost & 7) != 0 || tohost > kHighestWord)
    throw std::invalid_argument("HTIF tohost address " + hex(tohost) + " must be 8-byte aligned and below 2^64 - 8");
  if (fromhost) {
    if ((*fromhost & 7) != 0 || *fromhost > kHighestWord)
      throw std::invalid_argument("HTIF fromhost address " + hex(*fromhost) +
                                  " must be 8-byte aligned and below 2^64 - 8");
    if (*fromhost == tohost) throw std::invalid_argument("HTIF tohost and fromhost are both at " + hex(tohost));
    if (*fromhost + 8 == tohost) window_base_ = *fromhost;
  }
}

void Htif::attach(Bus& bus) {
  const bool adjacent = fromhost_address_ && (*fromhost_address_ + 8 == tohost_address_ ||
                                               tohost_address_ + 8 == *fromhost_address_);
  // Both windows are checked before either is attached, so a refusal leaves the bus as it was.
  if (fromhost_address_ && !adjacent && bus.overlaps(*fromhost_address_, 8))
    throw std::invalid_argument("HTIF fromhost at " + hex(*fromhost_address_) + " overlaps a device");
  bus.attach(window_base_, adjacent ? 16 : 8, *this);
  if (fromhost_address_ && !adjacent) bus.attach(*fromhost_address_, 8, fromhost_window_);
}

bool Htif::read(uint64_t offset, unsigned size, uint64_t& value) {
  return read_bytes(window_base_ + offset, size, value);
}

bool Htif::write(uint64_t offset, unsigned size, uint64_t value) {
  return write_bytes(window_base_ + offset, size, value);
}

bool Htif::FromhostWindow::read(uint64_t offset, unsigned size, uint64_t& value) {
  return htif_.read_bytes(*htif_.fromhost_address_ + offset, size, value);
}

bool Htif::FromhostWindow::write(uint64_t offset, unsigned size, uint64_t value) {
  return htif_.write_bytes(*htif_.fromhost_address_ + offset, size, value);
}

uint64_t* Htif::word_at(uint64_t paddr, unsigned& byte) {
  if (paddr - tohost_address_ < 8) {
    byte = static_cast<unsigned>(paddr - tohost_address_);
    return &tohost_;
  }
  if (fromhost_address_ && paddr - *fromhost_address_ < 8) {
    byte = static_cast<unsigned>(paddr - *fromhost_address_);
    return &fromhost_;
  }
  return nullptr;
}

bool Htif::read_bytes(uint64_t paddr, unsigned size, uint64_t& value) {
  if (size == 0 || size > 8) return false;
  poll();  // a guest polling fromhost for a character gets it here
  uint64_t result = 0;
  for (unsigned i = 0; i < size; ++i) {
    unsigned byte;
    const uint64_t* word = word_at(paddr + i, byte);
    if (!word) return false;
    result |= ((*word >> (8 * byte)) & 0xff) << (8 * i);
  }
  value = result;
  return true;
}

bool Htif::write_bytes(uint64_t paddr, unsigned size, uint64_t value) {
  if (size == 0 || size > 8) return false;
  for (unsigned i = 0; i < size; ++i) {  // check the whole access before changing anything
    unsigned byte;
    if (!word_at(paddr + i, byte)) return false;
  }
  bool command_complete = false;
  for (unsigned i = 0; i < size; ++i) {
    unsigned byte;
    uint64_t* word = word_at(paddr + i, byte);
    const uint64_t shift = 8 * byte;
    *word = (*word & ~(uint64_t{0xff} << shift)) | (((value >> (8 * i)) & 0xff) << shift);
    if (word == &tohost_ && byte == 7) command_complete = true;
  }
  if (command_complete && tohost_ != 0) {
    const uint64_t command = tohost_;
    tohost_ = 0;  // taken, as fesvr clears it
    execute(command);
  }
  poll();  // a write of 0 to fromhost makes room for the next answer
  return true;
}

void Htif::poll() {
  if (!pending_reads_.empty()) {
    char ch;
    if (input_.read({&ch, 1}, false) == 1) {
      const uint64_t request = pending_reads_.front();
      pending_reads_.pop_front();
      answer(request, 0x100 | static_cast<uint8_t>(ch));
    }
  }
  if (fromhost_ == 0 && !answers_.empty()) {
    fromhost_ = answers_.front();
    answers_.pop_front();
  }
}

void Htif::answer(uint64_t command, uint64_t response) {
  if (!fromhost_address_) return;  // nowhere to answer
  const uint64_t value = (command >> 48 << 48) | (response & kPayloadMask);
  if (fromhost_ == 0 && answers_.empty()) {
    fromhost_ = value;
  } else if (answers_.size() < kMaxQueued) {
    answers_.push_back(value);
  } else {
    ++dropped_answers_;
  }
}

void Htif::signal_exit(int code) {
  exit_code_ = code;
  if (on_exit_) on_exit_(code);
}

void Htif::execute(uint64_t command) {
  const uint64_t device = command >> 56;
  const uint64_t cmd = (command >> 48) & 0xff;
  const uint64_t payload = command & kPayloadMask;
  if (device == kDeviceSyscall && cmd == 0) {
    if (payload & 1) {
      // fesvr's exit_code() is an int; codes wider than that are truncated the same way.
      signal_exit(static_cast<int>(static_cast<uint32_t>(payload >> 1)));
      return;
    }
    proxy_syscall(payload);
    answer(command, 1);
  } else if (device == kDeviceConsole && cmd == kConsolePutchar) {
    const char ch = static_cast<char>(payload & 0xff);
    console_.write(std::string_view(&ch, 1));
    answer(command, 0x100 | (payload & 0xff));
  } else if (device == kDeviceConsole && cmd == kConsoleGetchar) {
    if (pending_reads_.size() < kMaxQueued) pending_reads_.push_back(command);
  }
}

void Htif::proxy_syscall(uint64_t magic_address) {
  uint64_t magic[8];
  // fesvr would stop with a memory error here; a guest that points outside RAM just gets its
  // answer with nothing done, as there is nowhere to put a result.
  if (!ram_.contains(magic_address, sizeof magic)) return;
  ram_.read(magic_address, magic, sizeof magic);
  int64_t result;
  switch (magic[0]) {
    case kSysWrite: result = sys_write(magic[1], magic[2], magic[3]); break;
    case kSysExit:
    case kSysExitGroup:
      signal_exit(static_cast<int>(static_cast<uint32_t>(magic[1])));
      result = 0;
      break;
    default: result = -kGuestENOSYS; break;
  }
  const uint64_t word = static_cast<uint64_t>(result);
  ram_.write(magic_address, &word, sizeof word);
}

int64_t Htif::sys_write(uint64_t fd, uint64_t buffer, uint64_t length) {
  if (fd != 1 && fd != 2) return -kGuestEBADF;
  if (length == 0) return 0;
  if (!ram_.contains(buffer, length)) return -kGuestEFAULT;
  char chunk[kPageSize];
  for (uint64_t done = 0; done < length;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(length - done, sizeof chunk));
    ram_.read(buffer + done, chunk, n);
    if (fd == 1)
      console_.write(std::string_view(chunk, n));
    else
      console_.write_error(std::string_view(chunk, n));
    done += n;
  }
  return static_cast<int64_t>(length);
}

void Htif::save(StateWriter& out) const {
  out.begin_section(state_tag("HTIF"));
  out.u64(tohost_address_);
  out.boolean(fromhost_address_.has_value());
  out.u64(fromhost_address_.value_or(0));
  out.u64(tohost_);
  out.u64(fromhost_);
  out.u64(answers_.size());
  for (uint64_t a : answers_) out.u64(a);
  out.u64(pending_reads_.size());
  for (uint64_t r : pending_reads_) out.u64(r);
  out.boolean(exit_code_.has_value());
  out.u32(static_cast<uint32_t>(exit_code_.value_or(0)));
  out.u64(dropped_answers_);
  out.end_section();
}

void Htif::load(StateReader& in) {
  in.begin_section(state_tag("HTIF"));
  const uint64_t tohost = in.u64();
  const bool has_fromhost = in.boolean();
  const uint64_t fromhost = in.u64();
  in.expect(tohost == tohost_address_ && has_fromhost == fromhost_address_.has_value() &&
                (!has_fromhost || fromhost == *fromhost_address_),
            "the snapshot's HTIF words are at other addresses");
  tohost_ = in.u64();
  fromhost_ = in.u64();
  answers_.resize(static_cast<size_t>(in.count(kMaxQueued, "queued HTIF answers")));
  for (uint64_t& a : answers_) a = in.u64();
  pending_reads_.resize(static_cast<size_t>(in.count(kMaxQueued, "pending HTIF reads")));
  for (uint64_t& r : pending_reads_) r = in.u64();
  const bool exited = in.boolean();
  const auto code = static_cast<int>(in.u32());
  exit_code_ = exited ? std::optional<int>(code) : std::nullopt;
  dropped_answers_ = in.u64();
  in.end_section();
}

}  // namespace hartbox
