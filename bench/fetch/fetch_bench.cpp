// Benchmark driver for bench/fetch/run.sh (not a test): fetches a list of wheels into a cache folder with the
// same pipeline as `wheelhouse build` and prints one JSON line of timings.
//
//   fetch_bench --list wheels.json --cache DIR [--jobs N] [--verify-threads N] [--ca FILE] [--offline]
//
// wheels.json: [{"url": ..., "filename": ..., "sha256": ..., "size": N}, ...]
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/fetch/fetch.hpp"

namespace {

auto seconds(std::chrono::nanoseconds d) -> double {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

auto main(int argc, char** argv) -> int {
    using namespace wheelhouse;
    std::string list_path;
    std::string cache_dir;
    std::string ca;
    std::size_t jobs = 16;
    std::size_t verify_threads = 0;  // one per core
    bool offline = false;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        auto next = [&]() -> std::string { return i + 1 < args.size() ? std::string(args[++i]) : std::string(); };
        if (args[i] == "--list") {
            list_path = next();
        } else if (args[i] == "--cache") {
            cache_dir = next();
        } else if (args[i] == "--ca") {
            ca = next();
        } else if (args[i] == "--jobs") {
            jobs = std::stoul(next());
        } else if (args[i] == "--verify-threads") {
            verify_threads = std::stoul(next());
        } else if (args[i] == "--offline") {
            offline = true;
        } else {
            std::fprintf(stderr, "fetch_bench: unknown argument %s\n", std::string(args[i]).c_str());
            return 1;
        }
    }
    if (list_path.empty() || cache_dir.empty()) {
        std::fprintf(stderr, "usage: fetch_bench --list wheels.json --cache DIR [--jobs N] [--verify-threads N]\n");
        return 1;
    }
    std::ifstream in(list_path);
    std::stringstream text;
    text << in.rdbuf();
    const auto list = nlohmann::json::parse(text.str(), nullptr, false);
    if (list.is_discarded() || !list.is_array()) {
        std::fprintf(stderr, "fetch_bench: %s is not a JSON array\n", list_path.c_str());
        return 1;
    }
    std::vector<fetch::WheelRequest> wheels;
    for (const auto& item : list) {
        fetch::WheelRequest w;
        w.url = item.value("url", "");
        w.filename = item.value("filename", "");
        if (item.contains("sha256")) w.sha256.push_back(item["sha256"].get<std::string>());
        if (item.contains("size")) w.size = item["size"].get<std::uint64_t>();
        wheels.push_back(std::move(w));
    }

    http::Options options;
    options.max_concurrency = jobs;
    options.max_per_host = jobs;
    options.trusted_hosts = {"127.0.0.1"};
    if (!ca.empty()) options.ca_bundle = ca;
    auto engine = http::Engine::create(options);
    if (!engine) {
        std::fprintf(stderr, "fetch_bench: %s\n", engine.error().to_string().c_str());
        return 1;
    }
    auto store = cache::WheelStore::open(cache_dir);
    if (!store) {
        std::fprintf(stderr, "fetch_bench: %s\n", store.error().to_string().c_str());
        return 1;
    }
    fetch::FetchOptions fo;
    fo.verify_threads = verify_threads;
    fo.offline = offline;
    const auto report = fetch::fetch_wheels(wheels, *engine, *store, fo);
    const auto& s = report.stats;
    nlohmann::json out = {
        {"wheels", wheels.size()},
        {"ok", report.results.size() - s.failed},
        {"failed", s.failed},
        {"downloaded", s.downloaded},
        {"cached", s.cached},
        {"bytes", s.downloaded_bytes},
        {"wall_s", seconds(s.wall)},
        {"verify_busy_s", seconds(s.verify_busy)},
        {"verify_tail_s", seconds(s.verify_tail)},
        {"download_and_hash_s", seconds(s.wall - s.verify_tail)},
    };
    std::printf("%s\n", out.dump().c_str());
    if (auto error = report.first_error()) {
        std::fprintf(stderr, "fetch_bench: %s\n", error->to_string().c_str());
        return exit_code_for(error->code);
    }
    return 0;
}
