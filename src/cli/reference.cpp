#include "reference.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "app.hpp"
#include "wheelhouse/image/image.hpp"

namespace wheelhouse::cli {
namespace {

auto split(const std::string& text, char separator) -> std::vector<std::string> {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    return parts;
}

auto describe_option(const CLI::Option& option, const std::string& group) -> OptionDoc {
    OptionDoc doc;
    for (const auto& name : option.get_snames()) doc.flags.push_back("-" + name);
    for (const auto& name : option.get_lnames()) doc.flags.push_back("--" + name);
    if (doc.flags.empty()) doc.positional = option.get_name(true);
    doc.description = option.get_description();
    doc.group = group;
    doc.required = option.get_required();
    auto policy = option.get_multi_option_policy();
    doc.repeatable = policy == CLI::MultiOptionPolicy::TakeAll || policy == CLI::MultiOptionPolicy::Join ||
                     option.get_expected_max() > 1;
    if (option.get_items_expected_max() == 0) return doc;

    // The type name is "TEXT", or with validators "TEXT:DIR", "TEXT:{bash,zsh}"; a kind set with
    // type_name() ("FILE") is the first token.
    auto tokens = split(option.get_type_name(), ':');
    doc.value = ValueKind::text;
    doc.type_name = tokens.empty() ? std::string("TEXT") : tokens.front();
    for (const auto& token : tokens) {
        if (token == file_type) {
            doc.value = ValueKind::file;
        } else if (token == dir_type) {
            doc.value = ValueKind::dir;
        } else if (token == target_type) {
            doc.value = ValueKind::target;
        } else if (token.size() > 2 && token.front() == '{' && token.back() == '}') {
            doc.value = ValueKind::choice;
            doc.choices = split(token.substr(1, token.size() - 2), ',');
            continue;
        } else {
            continue;
        }
        doc.type_name = token;
    }
    return doc;
}

void add_options(const CLI::App& app, const std::string& group, CommandDoc& doc) {
    // An option group carries a copy of its command's -h/--help.
    auto wanted = [&](const CLI::Option* option) { return group.empty() || option != app.get_help_ptr(); };
    for (const auto* option : app.get_options({})) {
        // Positionals are listed after the flags, as --help does.
        if (option->nonpositional() && wanted(option)) doc.options.push_back(describe_option(*option, group));
    }
    for (const auto* option : app.get_options({})) {
        if (!option->nonpositional() && wanted(option)) doc.options.push_back(describe_option(*option, group));
    }
}

// Footer paragraphs other than the exit codes; an "Example(s):" block goes to `examples`.
void describe_footer(std::string footer, CommandDoc& doc) {
    if (auto at = footer.find(exit_codes_help); at != std::string::npos) footer.erase(at);
    std::string kept;
    bool in_examples = false;
    for (const auto& line : split(footer, '\n')) {
        if (line == "Example:" || line == "Examples:") {
            in_examples = true;
            continue;
        }
        if (in_examples && line.starts_with("  ")) {
            // "      --dags dags/" continues the example above it.
            if (line.starts_with("    ") && !doc.examples.empty()) {
                doc.examples.back() += "\n" + line.substr(2);
            } else {
                doc.examples.push_back(line.substr(2));
            }
            continue;
        }
        in_examples = false;
        kept += line + "\n";
    }
    while (!kept.empty() && kept.back() == '\n') kept.pop_back();
    doc.footer = kept;
}

auto describe_command(const CLI::App& app, std::vector<std::string> path) -> CommandDoc {
    CommandDoc doc;
    doc.path = std::move(path);
    doc.description = app.get_description();
    describe_footer(app.get_footer(), doc);
    add_options(app, "", doc);
    for (const auto* sub : app.get_subcommands({})) {
        if (sub->get_name().empty()) {  // an option group: its options belong to this command
            add_options(*sub, sub->get_group(), doc);
        } else if (!sub->get_group().empty()) {  // an empty group hides a command
            auto sub_path = doc.path;
            sub_path.push_back(sub->get_name());
            doc.subcommands.push_back(describe_command(*sub, std::move(sub_path)));
        }
    }
    return doc;
}

}  // namespace

auto CommandDoc::name() const -> std::string {
    std::string out;
    for (const auto& part : path) out += (out.empty() ? "" : " ") + part;
    return out;
}

auto describe(const CLI::App& app) -> CommandDoc {
    return describe_command(app, {});
}

auto target_values() -> std::vector<std::string> {
    std::vector<std::string> values;
    std::set<std::string> lines;
    for (const auto& preset : image::presets()) {
        values.push_back(preset.name);
        auto parts = split(preset.airflow_version, '.');
        if (parts.size() >= 2) lines.insert("mwaa-" + parts[0] + "." + parts[1]);
    }
    values.insert(values.end(), lines.begin(), lines.end());
    values.emplace_back("mwaa-latest");
    return values;
}

}  // namespace wheelhouse::cli
