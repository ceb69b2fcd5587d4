// An in-memory IndexProvider for resolver tests: projects, releases and files built from data.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/resolve/resolve.hpp"

namespace wheelhouse::resolve::testing {

struct Release {
    std::string version;
    std::vector<std::string> requires_dist;  // PEP 508 strings, markers allowed
    std::map<std::string, std::vector<std::string>> extras;
    std::optional<std::string> requires_python;  // on the files (index) and in the metadata
    bool sdist = true;
    bool wheel = true;
    std::vector<std::string> wheel_tags{"py3-none-any"};
    bool yanked = false;
};

class MemoryIndex : public IndexProvider {
public:
    void add(std::string_view project, Release release) {
        m_projects[pep508::canonicalize_name(project)].push_back(std::move(release));
    }
    // Adds a release with only requirements (py3-none-any wheel and sdist).
    void add(std::string_view project, std::string version, std::vector<std::string> requires_dist = {}) {
        Release r;
        r.version = std::move(version);
        r.requires_dist = std::move(requires_dist);
        add(project, std::move(r));
    }

    auto candidates(std::string_view project) -> Expected<std::vector<CandidateFile>> override {
        ++candidate_calls;
        std::vector<CandidateFile> files;
        auto it = m_projects.find(std::string(project));
        if (it == m_projects.end()) return files;
        std::string stem = std::string(project);
        for (auto& c : stem) {
            if (c == '-') c = '_';
        }
        for (const auto& r : it->second) {
            auto add_file = [&](std::string name) {
                CandidateFile f;
                f.url = "https://index.test/files/" + name;
                f.hashes["sha256"] = std::string(64, 'a');
                f.filename = std::move(name);
                f.requires_python = r.requires_python;
                f.yanked = r.yanked;
                if (r.yanked) f.yanked_reason = "broken";
                f.size = 1000;
                files.push_back(std::move(f));
            };
            if (r.sdist) add_file(std::string(project) + "-" + r.version + ".tar.gz");
            if (r.wheel) {
                for (const auto& tag : r.wheel_tags) add_file(stem + "-" + r.version + "-" + tag + ".whl");
            }
        }
        return files;
    }

    auto metadata(std::string_view project, const CandidateFile& file) -> Expected<metadata::Metadata> override {
        ++metadata_calls;
        metadata_files.insert(file.filename);
        for (const auto& r : m_projects[std::string(project)]) {
            if (file.filename.find("-" + r.version + "-") == std::string::npos &&
                file.filename.find("-" + r.version + ".tar.gz") == std::string::npos) {
                continue;
            }
            std::string text =
                "Metadata-Version: 2.1\nName: " + std::string(project) + "\nVersion: " + r.version + "\n";
            if (r.requires_python) text += "Requires-Python: " + *r.requires_python + "\n";
            for (const auto& d : r.requires_dist) text += "Requires-Dist: " + d + "\n";
            for (const auto& [extra, deps] : r.extras) {
                text += "Provides-Extra: " + extra + "\n";
                for (const auto& d : deps) {
                    auto semi = d.find(';');
                    if (semi == std::string::npos) {
                        text += "Requires-Dist: " + d + " ; extra == \"" + extra + "\"\n";
                    } else {
                        text += "Requires-Dist: " + d.substr(0, semi) + " ; (" + d.substr(semi + 1) +
                                ") and extra == \"" + extra + "\"\n";
                    }
                }
            }
            return metadata::Metadata::parse(text, file.filename);
        }
        return make_error(ErrorCode::not_found, "no metadata for " + file.filename);
    }

    void prefetch(const std::vector<std::string>& projects) override {
        prefetched.insert(projects.begin(), projects.end());
    }

    int candidate_calls = 0;
    int metadata_calls = 0;
    std::set<std::string> metadata_files;
    std::set<std::string> prefetched;

private:
    std::map<std::string, std::vector<Release>> m_projects;
};

// CPython 3.11 on manylinux_2_34_x86_64 (and every older level), as MWAA's 2.x images run it.
inline auto mwaa_target() -> tags::Target {
    tags::TargetOptions options;
    options.python_version = "3.11";
    options.platforms = {"manylinux_2_34_x86_64"};
    auto target = tags::Target::from_options(options, "mwaa-test");
    EXPECT_TRUE(target.has_value());
    return target ? *target : tags::Target{};
}

inline auto req(std::string_view text) -> pep508::Requirement {
    auto r = pep508::Requirement::parse(text);
    EXPECT_TRUE(r.has_value()) << text;
    return r ? *r : pep508::Requirement{};
}

}  // namespace wheelhouse::resolve::testing
