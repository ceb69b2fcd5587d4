// Differential probe for the requirements-file parser: reads one path per stdin line, answers
// one line of JSON (our model, or {"error": ...}). Usage: probe_reqfile [REMOTE_ROOT]
// http(s)://HOST/PATH includes are served from REMOTE_ROOT/HOST/PATH (the test's stand-in for the network).
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/util/file.hpp"

namespace {

auto local_fetcher(std::string root) -> wheelhouse::reqfile::Fetcher {
    return [root = std::move(root)](std::string_view url) -> wheelhouse::Expected<std::string> {
        auto sep = url.find("://");
        if (root.empty() || sep == std::string_view::npos) {
            return wheelhouse::make_error(wheelhouse::ErrorCode::network, "no network in the probe");
        }
        auto rest = url.substr(sep + 3);
        return wheelhouse::util::read_file(root + "/" + std::string(rest));
    };
}

}  // namespace

int main(int argc, char** argv) {
    wheelhouse::reqfile::ParseOptions options;
    options.fetcher = local_fetcher(argc > 1 ? argv[1] : "");
    std::string line;
    while (std::getline(std::cin, line)) {
        auto result = wheelhouse::reqfile::parse_file(line, options);
        auto text = result ? wheelhouse::reqfile::to_json(*result) : wheelhouse::reqfile::to_json(result.error());
        std::cout << nlohmann::json::parse(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
                  << std::flush;
    }
    return 0;
}
