// Benchmark probe: fetches the project pages of the projects named on stdin (one per line) from one index,
// then the core metadata of each project's first wheel, through the index client; prints what it did.
//   probe_index INDEX_URL CA_FILE < projects.txt
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "wheelhouse/index/index.hpp"

int main(int argc, char** argv) {
    using namespace wheelhouse;
    if (argc != 3) {
        std::fprintf(stderr, "usage: probe_index INDEX_URL CA_FILE < projects.txt\n");
        return 2;
    }
    std::vector<std::string> projects;
    for (std::string line; std::getline(std::cin, line);) {
        if (!line.empty()) projects.push_back(line);
    }
    http::Options o;
    o.ca_bundle = std::filesystem::path(argv[2]);
    o.netrc = std::filesystem::path();
    o.https_proxy = "";
    o.http_proxy = "";
    o.no_proxy = "";
    o.trusted_hosts = {"127.0.0.1"};
    auto engine = http::Engine::create(o);
    if (!engine) {
        std::fprintf(stderr, "%s\n", engine.error().to_string().c_str());
        return 1;
    }
    index::ClientOptions options;
    options.sources.index_urls = {argv[1]};
    auto client = index::Client::create(*engine, options);
    if (!client) {
        std::fprintf(stderr, "%s\n", client.error().to_string().c_str());
        return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<index::Candidate> wheels;
    for (auto& files : client->candidates(projects)) {
        if (!files) {
            std::fprintf(stderr, "%s\n", files.error().to_string().c_str());
            return 1;
        }
        for (const auto& c : files->candidates) {
            if (c.is_wheel()) {
                wheels.push_back(c);
                break;
            }
        }
    }
    for (auto& m : client->metadata(wheels)) {
        if (!m) {
            std::fprintf(stderr, "%s\n", m.error().to_string().c_str());
            return 1;
        }
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("pages=%zu metadata=%zu requests=%llu bytes=%llu seconds=%.3f\n", projects.size(), wheels.size(),
                static_cast<unsigned long long>(client->stats().requests),
                static_cast<unsigned long long>(client->stats().bytes), seconds);
    return 0;
}
