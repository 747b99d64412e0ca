// Micro-benchmark of general-purpose codecs on the stored groups of a real
// events.db (one row per committed group): compression ratio, and MB/s of
// the uncompressed bytes compressed and decompressed, each codec on one core.
// Not part of the build (it links liblz4, which the services do not):
//
//   g++ -O2 -std=c++20 bench/group_codec_bench.cc -o /tmp/group_codec_bench \
//     -lsqlite3 -lz -lzstd -llz4
//   /tmp/group_codec_bench DATA_DIR/events.db [max_rows]
#include <lz4.h>
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Codec {
  const char* name;
  std::function<size_t(const std::string&, std::string&)> compress;
  std::function<void(const std::string&, size_t, std::string&)> decompress;
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s events.db [max_rows]\n", argv[0]);
    return 2;
  }
  const long max_rows = argc > 2 ? std::atol(argv[2]) : 1000000;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT items, blob FROM log ORDER BY seq LIMIT ?", -1,
                     &st, nullptr);
  sqlite3_bind_int64(st, 1, max_rows);
  std::vector<std::string> groups;
  long events = 0;
  size_t raw = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    events += sqlite3_column_int64(st, 0);
    groups.emplace_back(static_cast<const char*>(sqlite3_column_blob(st, 1)),
                        sqlite3_column_bytes(st, 1));
    raw += groups.back().size();
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::printf(
      "groups=%zu events=%ld bytes_per_event=%.1f events_per_group=%.0f\n",
      groups.size(), events, double(raw) / events,
      double(events) / groups.size());

  ZSTD_CCtx* zc = ZSTD_createCCtx();
  ZSTD_DCtx* zd = ZSTD_createDCtx();
  auto zstd = [&](int level) {
    return Codec{nullptr,
                 [zc, level](const std::string& in, std::string& out) {
                   out.resize(ZSTD_compressBound(in.size()));
                   size_t n = ZSTD_compressCCtx(zc, out.data(), out.size(),
                                                in.data(), in.size(), level);
                   out.resize(n);
                   return n;
                 },
                 [zd](const std::string& in, size_t raw, std::string& out) {
                   out.resize(raw);
                   ZSTD_decompressDCtx(zd, out.data(), raw, in.data(),
                                       in.size());
                 }};
  };
  auto zlib = [](int level) {
    return Codec{nullptr,
                 [level](const std::string& in, std::string& out) {
                   uLongf n = compressBound(in.size());
                   out.resize(n);
                   compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                             reinterpret_cast<const Bytef*>(in.data()),
                             in.size(), level);
                   out.resize(n);
                   return size_t(n);
                 },
                 [](const std::string& in, size_t raw, std::string& out) {
                   out.resize(raw);
                   uLongf n = raw;
                   uncompress(reinterpret_cast<Bytef*>(out.data()), &n,
                              reinterpret_cast<const Bytef*>(in.data()),
                              in.size());
                 }};
  };
  Codec lz4{nullptr,
            [](const std::string& in, std::string& out) {
              out.resize(LZ4_compressBound(in.size()));
              int n = LZ4_compress_default(in.data(), out.data(), in.size(),
                                           out.size());
              out.resize(n);
              return size_t(n);
            },
            [](const std::string& in, size_t raw, std::string& out) {
              out.resize(raw);
              LZ4_decompress_safe(in.data(), out.data(), in.size(), raw);
            }};
  // zstd level 1 without a kept context (ZSTD_compress makes one per call).
  Codec zstd_fresh{nullptr,
                   [](const std::string& in, std::string& out) {
                     out.resize(ZSTD_compressBound(in.size()));
                     size_t n = ZSTD_compress(out.data(), out.size(), in.data(),
                                              in.size(), 1);
                     out.resize(n);
                     return n;
                   },
                   [](const std::string& in, size_t raw, std::string& out) {
                     out.resize(raw);
                     ZSTD_decompress(out.data(), raw, in.data(), in.size());
                   }};
  std::vector<std::pair<std::string, Codec>> codecs = {
      {"zlib-1", zlib(1)},   {"zstd-1", zstd(1)},   {"zstd-1-new", zstd_fresh},
      {"zstd-3", zstd(3)},   {"zstd--1", zstd(-1)}, {"zstd--3", zstd(-3)},
      {"zstd--5", zstd(-5)}, {"lz4", lz4}};
  for (auto& [name, c] : codecs) {
    std::vector<std::string> packed(groups.size());
    size_t total = 0;
    const auto t0 = Clock::now();
    for (int rep = 0; rep < 3; ++rep) {
      total = 0;
      for (size_t i = 0; i < groups.size(); ++i)
        total += c.compress(groups[i], packed[i]);
    }
    const auto t1 = Clock::now();
    std::string out;
    for (int rep = 0; rep < 3; ++rep) {
      for (size_t i = 0; i < groups.size(); ++i) {
        c.decompress(packed[i], groups[i].size(), out);
        if (out != groups[i]) {
          std::fprintf(stderr, "%s: round trip differs\n", name.c_str());
          return 1;
        }
      }
    }
    const auto t2 = Clock::now();
    std::printf(
        "%-8s bytes_per_event=%5.1f ratio=%.2f compress_MB_s=%6.0f "
        "decompress_MB_s=%6.0f compress_us_per_1k_events=%.0f\n",
        name.c_str(), double(total) / events, double(raw) / total,
        3 * raw / 1e6 / Seconds(t0, t1), 3 * raw / 1e6 / Seconds(t1, t2),
        1e6 * Seconds(t0, t1) / 3 / (events / 1000.0));
  }
  ZSTD_freeCCtx(zc);
  ZSTD_freeDCtx(zd);
}
