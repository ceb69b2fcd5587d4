// Fuzz target: the wheel check (fetch::verify_wheel) on arbitrary bytes as a downloaded wheel. It must return
// a result (never crash or hang), and anything it accepts must really be a wheel whose RECORD it could read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/fetch/fetch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("wh-fuzz-wheel-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    const std::string filename = "fuzz_pkg-1.0-py3-none-any.whl";
    const auto path = dir / filename;
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    wheelhouse::archive::Limits limits;
    limits.max_member_size = 1U << 20;
    limits.max_total_size = 4U << 20;
    limits.max_entries = 1000;
    auto check = wheelhouse::fetch::verify_wheel(path, filename, limits);
    if (check) {
        // Accepted: the structure reader must agree that it is a wheel with a RECORD.
        auto reader = wheelhouse::archive::WheelReader::open(path, limits);
        if (!reader || !reader->read_record()) std::abort();
        if (check->uncompressed_bytes > limits.max_total_size) std::abort();
    } else if (check.error().code != wheelhouse::ErrorCode::verification &&
               check.error().code != wheelhouse::ErrorCode::internal) {
        std::abort();
    }
    return 0;
}
