// Fetching wheels into the cache: parallel downloads through the http engine, the hash policy checked while
// bytes stream in, Range resume of interrupted downloads, and the wheel check (zip, RECORD, METADATA, paths).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::fetch {

// ---- The wheel check ----

struct WheelCheck {
    std::string name;     // METADATA Name, as written
    std::string version;  // METADATA Version, as written
    std::size_t files = 0;
    std::uint64_t uncompressed_bytes = 0;
};

// Checks a downloaded wheel: a readable zip whose members all have safe relative names (no '..', no absolute
// paths) and are not symlinks; within `limits` (counting the bytes that really come out, not what headers
// claim); exactly one .dist-info of the file name's project; RECORD lists every file except RECORD itself and
// its signatures (RECORD.jws, RECORD.p7s), each with a sha256 (or stronger) digest and size that match the
// member, read once and hashed as it streams; METADATA's Name and Version equal the file name's. `filename` is
// the wheel's real name (the file on disk may sit under a temporary folder). Failures are
// ErrorCode::verification naming the wheel and the member.
auto verify_wheel(const std::filesystem::path& path, std::string_view filename, const archive::Limits& limits = {})
    -> Expected<WheelCheck>;

// ---- Fetching ----

struct WheelRequest {
    std::string url;  // may carry credentials; never shown unredacted
    std::string filename;
    // Acceptable sha256 digests (hex): the index's, each --hash line's, the lock's. Any one may match, as pip's
    // --hash. Empty: the digest is computed and recorded, unless require_hashes refuses the wheel.
    std::vector<std::string> sha256;
    std::optional<std::uint64_t> size;  // expected size where the index says it
};

struct FetchOptions {
    bool offline = false;            // the cache only; what is missing is an error per wheel
    bool require_hashes = false;     // a wheel without an expected digest is refused
    // A cache hit found by an expected digest is hashed again before it is used (a hit then proves the digest
    // as a download would). For digests the user gave (--hash, a lock); a damaged entry is downloaded again.
    bool verify_cache_hits = false;
    std::size_t verify_threads = 0;  // wheel-check workers; 0: one per core
    archive::Limits limits;
    // An interrupted download of at least this many bytes (with an expected digest and a server that gave a
    // strong ETag and Accept-Ranges: bytes) is kept and resumed with "Range" + "If-Range".
    std::uint64_t resume_min_bytes = 1U << 20;
    int resume_rounds = 2;  // extra rounds for transfers that failed with a network error after the engine's retries
};

struct FetchedWheel {
    std::string filename;
    std::string sha256;
    std::uint64_t size = 0;
    std::filesystem::path path;  // in the store
    bool from_cache = false;
    bool resumed = false;            // completed with a Range request
    bool hash_was_expected = false;  // false: computed and recorded because nothing was known
};

struct FetchStats {
    std::chrono::nanoseconds wall{0};
    std::chrono::nanoseconds verify_busy{0};  // summed over the verify workers (the RECORD check's share)
    std::chrono::nanoseconds verify_tail{0};  // wall time spent waiting for verification after the last download
    std::uint64_t downloaded_bytes = 0;
    std::size_t downloaded = 0;
    std::size_t cached = 0;
    std::size_t failed = 0;
    std::size_t resumed = 0;
    std::size_t waited_for_other_process = 0;  // entries another process was fetching; used once it committed
    std::size_t cache_damaged = 0;             // hits whose bytes did not match their digest (removed, refetched)
};

struct FetchReport {
    std::vector<Expected<FetchedWheel>> results;  // one per request, same order
    FetchStats stats;

    [[nodiscard]] auto ok() const -> bool;
    // The first error of the most severe kind (verification before network before the rest), or nothing.
    [[nodiscard]] auto first_error() const -> std::optional<Error>;
    // "N wheels not in the cache: a.whl, b.whl" for offline runs; empty when none are missing.
    [[nodiscard]] auto missing_summary() const -> std::string;
    // The one error a pipeline reports for a failed fetch: with `offline`, every wheel missing from the cache in
    // one message; otherwise first_error().
    [[nodiscard]] auto failure(bool offline) const -> Error;
};

// Downloads every requested wheel that is not already cached, in parallel through `engine`, into `store`.
// Hashes and sizes are checked as bytes stream in; each new entry is verified (verify_wheel) on a worker pool
// while the other downloads continue, and committed only when both checks pass. Progress goes to `reporter`
// (events carry the batch index of the wheel). Never throws.
auto fetch_wheels(const std::vector<WheelRequest>& wheels, http::Engine& engine, const cache::WheelStore& store,
                  const FetchOptions& options = {}, http::Reporter* reporter = nullptr) -> FetchReport;

}  // namespace wheelhouse::fetch
