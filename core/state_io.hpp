// Machine state as bytes, for snapshots and clones: a StateWriter appends fixed-width
// little-endian integers, byte blobs, length-prefixed strings and tagged sections to a buffer; a
// StateReader reads them back and checks everything.
//
// Sections: begin_section(tag) writes the four-character tag and a 64-bit length that
// end_section() fills in. The reader checks the tag, that the length fits in what is left, and
// that the section's reader consumed exactly that many bytes, so a field added on one side only,
// or a corrupted length, is caught where it happens rather than as garbage further on. Sections
// nest.
//
// The reader trusts nothing: any read past the end, a wrong tag, a count or string length above
// the caller's limit, or a value the caller rejects (fail()) throws SnapshotError with one line,
// "<where>: <problem> (section HART at byte 1234)", where <where> names the snapshot file.
//
// Also here: XXH64 (Yann Collet's xxHash, 64-bit variant, seed 0 by default), the checksum that
// snapshot files carry next to zstd's frame checksum (which is XXH64's low 32 bits).
//
// Plain values, no shared state: each writer or reader is used by one thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hartbox {

// A snapshot (or clone state) that cannot be used: truncated, corrupted, of another version or
// another machine. The message is one line naming the file and the problem.
struct SnapshotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A section tag from four characters, e.g. state_tag("HART").
constexpr uint32_t state_tag(const char (&name)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(name[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(name[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(name[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(name[3])) << 24;
}
// The tag's four characters (non-printable ones as '?'), for messages.
std::string state_tag_name(uint32_t tag);

class StateWriter {
 public:
  void u8(uint8_t value) { buffer_.push_back(value); }
  void u16(uint16_t value) { put(value, 2); }
  void u32(uint32_t value) { put(value, 4); }
  void u64(uint64_t value) { put(value, 8); }
  void boolean(bool value) { u8(value ? 1 : 0); }
  // Raw bytes whose length the reader knows (a fixed-size array).
  void bytes(const void* data, size_t len);
  // Length-prefixed (u64) bytes and strings.
  void blob(std::span<const uint8_t> data);
  void string(std::string_view text);

  void begin_section(uint32_t tag);
  void end_section();

  const std::vector<uint8_t>& data() const { return buffer_; }
  std::vector<uint8_t> take() { return std::move(buffer_); }

 private:
  void put(uint64_t value, unsigned width);
  std::vector<uint8_t> buffer_;
  std::vector<size_t> open_;  // offsets of the length fields of open sections
};

class StateReader {
 public:
  // `where` names the source in messages (a snapshot's path).
  StateReader(std::span<const uint8_t> data, std::string where);

  uint8_t u8();
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  bool boolean();  // 0 or 1; anything else is corruption
  void bytes(void* out, size_t len);
  // Length-prefixed bytes and strings of at most `max_len` bytes.
  std::vector<uint8_t> blob(size_t max_len);
  std::string string(size_t max_len);
  // A count of items that follow, at most `max`; `what` names it in the message.
  uint64_t count(uint64_t max, std::string_view what);

  // Enters a section: the next tag must be `tag`.
  void begin_section(uint32_t tag);
  // Leaves the innermost section, which must have been read to its end.
  void end_section();
  // True if the next bytes are a section tagged `tag` (for optional sections).
  bool next_section_is(uint32_t tag) const;

  // Throws SnapshotError: "<where>: <problem> (section X at byte N)".
  [[noreturn]] void fail(const std::string& problem) const;
  // fail(problem) unless `ok`.
  void expect(bool ok, const std::string& problem) const {
    if (!ok) fail(problem);
  }

  size_t position() const { return pos_; }
  size_t remaining() const { return limit() - pos_; }
  const std::string& where() const { return where_; }

 private:
  uint64_t get(unsigned width);
  void need(size_t len, const char* what) const;
  size_t limit() const { return sections_.empty() ? data_.size() : sections_.back().end; }

  struct Open {
    uint32_t tag;
    size_t end;
  };
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::vector<Open> sections_;
  std::string where_;
};

// XXH64, incrementally.
class Hash64 {
 public:
  explicit Hash64(uint64_t seed = 0);
  void update(const void* data, size_t len);
  uint64_t digest() const;

 private:
  uint64_t v_[4];
  uint64_t seed_;
  uint64_t total_ = 0;
  uint8_t buffer_[32] = {};
  size_t buffered_ = 0;
};

uint64_t hash64(const void* data, size_t len, uint64_t seed = 0);

// --- Implementation ------------------------------------------------------------------------------


inline std::string state_tag_name(uint32_t tag) {
  std::string name(4, '?');
  for (unsigned i = 0; i < 4; ++i) {
    const auto c = static_cast<char>((tag >> (8 * i)) & 0xff);
    if (c >= 0x20 && c < 0x7f) name[i] = c;
  }
  return name;
}

// --- StateWriter ---------------------------------------------------------------------------------

inline void StateWriter::put(uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; ++i) buffer_.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

inline void StateWriter::bytes(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  buffer_.insert(buffer_.end(), p, p + len);
}

inline void StateWriter::blob(std::span<const uint8_t> data) {
  u64(data.size());
  bytes(data.data(), data.size());
}

inline void StateWriter::string(std::string_view text) {
  u64(text.size());
  bytes(text.data(), text.size());
}

inline void StateWriter::begin_section(uint32_t tag) {
  u32(tag);
  open_.push_back(buffer_.size());
  u64(0);  // the length, filled in by end_section()
}

inline void StateWriter::end_section() {
  if (open_.empty()) throw std::logic_error("StateWriter::end_section() without begin_section()");
  const size_t at = open_.back();
  open_.pop_back();
  const uint64_t len = buffer_.size() - at - 8;
  for (unsigned i = 0; i < 8; ++i) buffer_[at + i] = static_cast<uint8_t>(len >> (8 * i));
}

// --- StateReader ---------------------------------------------------------------------------------

inline StateReader::StateReader(std::span<const uint8_t> data, std::string where)
    : data_(data), where_(std::move(where)) {}

inline void StateReader::fail(const std::string& problem) const {
  std::string message = where_ + ": " + problem + " (";
  if (!sections_.empty()) message += "section " + state_tag_name(sections_.back().tag) + " ";
  message += "at byte " + std::to_string(pos_) + ")";
  throw SnapshotError(message);
}

inline void StateReader::need(size_t len, const char* what) const {
  if (len > remaining())
    fail(std::string("truncated: ") + what + " needs " + std::to_string(len) + " bytes, " +
         std::to_string(remaining()) + " left");
}

inline uint64_t StateReader::get(unsigned width) {
  need(width, "an integer");
  uint64_t value = 0;
  for (unsigned i = 0; i < width; ++i) value |= uint64_t{data_[pos_ + i]} << (8 * i);
  pos_ += width;
  return value;
}

inline uint8_t StateReader::u8() { return static_cast<uint8_t>(get(1)); }

inline bool StateReader::boolean() {
  const uint8_t v = u8();
  expect(v <= 1, "corrupted: a flag holds " + std::to_string(v));
  return v != 0;
}

inline void StateReader::bytes(void* out, size_t len) {
  need(len, "a byte array");
  if (len) std::memcpy(out, data_.data() + pos_, len);
  pos_ += len;
}

inline std::vector<uint8_t> StateReader::blob(size_t max_len) {
  const uint64_t len = u64();
  expect(len <= max_len, "corrupted: a blob of " + std::to_string(len) + " bytes (at most " +
                             std::to_string(max_len) + " expected)");
  std::vector<uint8_t> out(static_cast<size_t>(len));
  bytes(out.data(), out.size());
  return out;
}

inline std::string StateReader::string(size_t max_len) {
  const uint64_t len = u64();
  expect(len <= max_len, "corrupted: a string of " + std::to_string(len) + " bytes (at most " +
                             std::to_string(max_len) + " expected)");
  std::string out(static_cast<size_t>(len), '\0');
  bytes(out.data(), out.size());
  return out;
}

inline uint64_t StateReader::count(uint64_t max, std::string_view what) {
  const uint64_t n = u64();
  expect(n <= max, "corrupted: " + std::to_string(n) + " " + std::string(what) + " (at most " +
                       std::to_string(max) + ")");
  return n;
}

inline void StateReader::begin_section(uint32_t tag) {
  const size_t at = pos_;
  need(12, "a section header");
  const auto found = static_cast<uint32_t>(get(4));
  if (found != tag) {
    pos_ = at;
    fail("expected section " + state_tag_name(tag) + ", found " + state_tag_name(found));
  }
  const uint64_t len = get(8);
  if (len > remaining()) {
    pos_ = at;
    fail("truncated: section " + state_tag_name(tag) + " claims " + std::to_string(len) + " bytes, " +
         std::to_string(remaining() - 12) + " left");
  }
  sections_.push_back({tag, pos_ + static_cast<size_t>(len)});
}

inline void StateReader::end_section() {
  if (sections_.empty()) throw std::logic_error("StateReader::end_section() without begin_section()");
  if (pos_ != sections_.back().end)
    fail("corrupted: " + std::to_string(sections_.back().end - pos_) + " bytes left over at the end of the section");
  sections_.pop_back();
}

inline bool StateReader::next_section_is(uint32_t tag) const {
  if (remaining() < 12) return false;
  uint32_t found = 0;
  for (unsigned i = 0; i < 4; ++i) found |= uint32_t{data_[pos_ + i]} << (8 * i);
  return found == tag;
}

// --- XXH64 (xxHash specification, "XXH64 algorithm description") ---------------------------------

namespace state_io_detail {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full, kP3 = 0x165667B19E3779F9ull,
                   kP4 = 0x85EBCA77C2B2AE63ull, kP5 = 0x27D4EB2F165667C5ull;

inline uint64_t read64(const uint8_t* p) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}
inline uint32_t read32(const uint8_t* p) {
  uint32_t v = 0;
  for (unsigned i = 0; i < 4; ++i) v |= uint32_t{p[i]} << (8 * i);
  return v;
}
inline uint64_t round64(uint64_t acc, uint64_t input) { return std::rotl(acc + input * kP2, 31) * kP1; }
inline uint64_t merge64(uint64_t acc, uint64_t v) { return (acc ^ round64(0, v)) * kP1 + kP4; }

}  // namespace state_io_detail

inline Hash64::Hash64(uint64_t seed)
    : v_{seed + state_io_detail::kP1 + state_io_detail::kP2, seed + state_io_detail::kP2, seed,
         seed - state_io_detail::kP1},
      seed_(seed) {}

inline void Hash64::update(const void* data, size_t len) {
  using namespace state_io_detail;
  const auto* p = static_cast<const uint8_t*>(data);
  total_ += len;
  if (buffered_ + len < 32) {
    if (len) std::memcpy(buffer_ + buffered_, p, len);
    buffered_ += len;
    return;
  }
  if (buffered_) {
    const size_t fill = 32 - buffered_;
    std::memcpy(buffer_ + buffered_, p, fill);
    for (unsigned i = 0; i < 4; ++i) v_[i] = round64(v_[i], read64(buffer_ + 8 * i));
    p += fill, len -= fill;
    buffered_ = 0;
  }
  uint64_t v0 = v_[0], v1 = v_[1], v2 = v_[2], v3 = v_[3];
  for (; len >= 32; p += 32, len -= 32) {
    v0 = round64(v0, read64(p));
    v1 = round64(v1, read64(p + 8));
    v2 = round64(v2, read64(p + 16));
    v3 = round64(v3, read64(p + 24));
  }
  v_[0] = v0, v_[1] = v1, v_[2] = v2, v_[3] = v3;
  if (len) std::memcpy(buffer_, p, len);
  buffered_ = len;
}

inline uint64_t Hash64::digest() const {
  using namespace state_io_detail;
  uint64_t h;
  if (total_ >= 32) {
    h = std::rotl(v_[0], 1) + std::rotl(v_[1], 7) + std::rotl(v_[2], 12) + std::rotl(v_[3], 18);
    for (uint64_t v : v_) h = merge64(h, v);
  } else {
    h = seed_ + kP5;
  }
  h += total_;
  const uint8_t* p = buffer_;
  size_t len = buffered_;
  for (; len >= 8; p += 8, len -= 8) h = std::rotl(h ^ round64(0, read64(p)), 27) * kP1 + kP4;
  if (len >= 4) {
    h = std::rotl(h ^ (uint64_t{read32(p)} * kP1), 23) * kP2 + kP3;
    p += 4, len -= 4;
  }
  for (; len > 0; ++p, --len) h = std::rotl(h ^ (*p * kP5), 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

inline uint64_t hash64(const void* data, size_t len, uint64_t seed) {
  Hash64 h(seed);
  h.update(data, len);
  return h.digest();
}

}  // namespace hartbox
