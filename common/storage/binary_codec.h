// Primitives of the services' on-disk encodings: varints, zigzag integers,
// length-prefixed strings, little-endian doubles and times as Unix
// microseconds. BinaryReader checks every bound; after the first failure
// every read is a no-op and ok() is false, so decoders stay linear. For the
// fixed headers of sealed files: PutFixed/GetFixed and Checksum64.
//
// Example:
//   std::string out;
//   BinaryWriter w(out);
//   w.Varint(3); w.String("eng"); w.Double(0.5);
//   BinaryReader r(out);
//   uint64_t n = r.Varint(); std::string s; r.String(s); double d; r.Double(d);
//   if (!r.ok() || !r.done()) { /* corrupt */ }
#ifndef ORGPULSE_COMMON_STORAGE_BINARY_CODEC_H_
#define ORGPULSE_COMMON_STORAGE_BINARY_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace orgpulse {

class BinaryWriter {
 public:
  explicit BinaryWriter(std::string& out) : out_(out) {}

  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Int(int64_t v) {  // zigzag
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void String(absl::string_view s) {
    Varint(s.size());
    out_.append(s.data(), s.size());
  }
  void Time(absl::Time t) { Int(absl::ToUnixMicros(t)); }
  void Double(double d) {
    char bytes[sizeof d];
    std::memcpy(bytes, &d, sizeof d);
    out_.append(bytes, sizeof d);
  }
  // Bytes as they are, without a length (the reader must know it).
  void Raw(absl::string_view bytes) { out_.append(bytes.data(), bytes.size()); }

 private:
  std::string& out_;
};

class BinaryReader {
 public:
  explicit BinaryReader(absl::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }

  uint8_t Byte() {
    if (!ok_ || in_.empty()) return Fail(), 0;
    const uint8_t b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; ok_ && shift < 64 && !in_.empty(); shift += 7) {
      const uint8_t byte = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    Fail();
    return 0;
  }
  int64_t Int() {
    const uint64_t z = Varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  void String(std::string& s) {
    const uint64_t n = Varint();
    if (!ok_ || n > in_.size()) return Fail();
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
  }
  void Time(absl::Time& t) { t = absl::FromUnixMicros(Int()); }
  void Double(double& d) {
    if (!ok_ || in_.size() < sizeof d) return Fail();
    std::memcpy(&d, in_.data(), sizeof d);
    in_.remove_prefix(sizeof d);
  }
  // The next `n` bytes, without copying; empty after a failure.
  absl::string_view Raw(uint64_t n) {
    if (!ok_ || n > in_.size()) return Fail(), absl::string_view();
    const absl::string_view bytes = in_.substr(0, n);
    in_.remove_prefix(n);
    return bytes;
  }
  void Fail() { ok_ = false; }

 private:
  absl::string_view in_;
  bool ok_ = true;
};

// A little-endian fixed-width field at byte `at` of a header.
// REQUIRES: at + sizeof(T) <= size.
template <typename T>
void PutFixed(std::string& out, size_t at, T v) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  std::memcpy(out.data() + at, &v, sizeof v);
}
template <typename T>
T GetFixed(absl::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

// The checksum that sealed files (snapshots) keep: 64 bits, fast, not
// cryptographic: it catches torn and damaged files. xxHash64's inner loop:
// four independent lanes, so it runs at memory speed (a snapshot of 10M
// events' state is a few hundred MB). Stored in files: never change it.
inline uint64_t Checksum64(absl::string_view bytes) {
  constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
  constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
  constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
  auto rotl = [](uint64_t v, int r) { return (v << r) | (v >> (64 - r)); };
  uint64_t acc[4] = {kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1};
  const char* p = bytes.data();
  size_t n = bytes.size();
  for (; n >= 32; p += 32, n -= 32) {
    for (int i = 0; i < 4; ++i) {
      uint64_t lane;
      std::memcpy(&lane, p + 8 * i, 8);
      acc[i] = rotl(acc[i] + lane * kPrime2, 31) * kPrime1;
    }
  }
  uint64_t h = rotl(acc[0], 1) + rotl(acc[1], 7) + rotl(acc[2], 12) +
               rotl(acc[3], 18) + bytes.size();
  for (; n > 0; ++p, --n) {
    h = rotl(h ^ (static_cast<uint8_t>(*p) * kPrime3), 11) * kPrime1;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  return h ^ (h >> 32);
}

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_BINARY_CODEC_H_
