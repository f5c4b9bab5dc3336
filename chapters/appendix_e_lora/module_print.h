// PyTorch's print(model) for the modules of core/nn: each module as `Name(extra)` or, with
// children, `Name(` then one `(name): ...` line per child, two spaces deeper, then `)`.
// Children registered as "trf_blocks.0", "trf_blocks.1", ... are shown inside one
// `(trf_blocks): Sequential(` as PyTorch's nn.Sequential shows them, and a Linear with an
// adapter as the book's LinearWithLoRA (its Linear and its LoRALayer).
#pragma once

#include "nn/nn.h"

#include <ostream>
#include <string>
#include <vector>

namespace appendix_e {

// The class name and the text PyTorch's extra_repr() puts in the brackets.
inline std::string module_label(const llm::Module& m) {
    using namespace llm;
    if (dynamic_cast<const GPTModel*>(&m)) return "GPTModel";
    if (dynamic_cast<const TransformerBlock*>(&m)) return "TransformerBlock";
    if (dynamic_cast<const MultiHeadAttention*>(&m)) return "MultiHeadAttention";
    if (dynamic_cast<const FeedForward*>(&m)) return "FeedForward";
    if (dynamic_cast<const SwiGLUFeedForward*>(&m)) return "SwiGLUFeedForward";
    if (dynamic_cast<const LayerNorm*>(&m)) return "LayerNorm";
    if (dynamic_cast<const RMSNorm*>(&m)) return "RMSNorm";
    if (dynamic_cast<const GELU*>(&m)) return "GELU";
    if (dynamic_cast<const LoRALayer*>(&m)) return "LoRALayer";
    if (auto* d = dynamic_cast<const Dropout*>(&m)) {
        std::string p = std::to_string(d->p);  // Python's repr of the float: 0.0, 0.1, ...
        p.erase(p.find_last_not_of('0') + 1);
        if (p.back() == '.') p += '0';
        return "Dropout(p=" + p + ", inplace=False)";
    }
    if (auto* e = dynamic_cast<const Embedding*>(&m))
        return "Embedding(" + std::to_string(e->weight.size(0)) + ", " + std::to_string(e->weight.size(1)) + ")";
    if (auto* l = dynamic_cast<const Linear*>(&m))
        return "Linear(in_features=" + std::to_string(l->weight.size(1)) + ", out_features=" +
               std::to_string(l->weight.size(0)) + ", bias=" + (l->bias.defined() ? "True" : "False") + ")";
    return "Module";
}

inline void print_module(std::ostream& os, const llm::Module& m, const std::string& indent);

// One child line: "(name): " and the child's own text.
inline void print_child(std::ostream& os, const std::string& name, const llm::Module& child,
                        const std::string& indent) {
    os << indent << "(" << name << "): ";
    print_module(os, child, indent);
    os << "\n";
}

inline void print_module(std::ostream& os, const llm::Module& m, const std::string& indent) {
    auto* linear = dynamic_cast<const llm::Linear*>(&m);
    if (linear && linear->lora) {  // LinearWithLoRA(linear, lora)
        os << "LinearWithLoRA(\n" << indent << "  (linear): " << module_label(m) << "\n";
        print_child(os, "lora", *linear->lora, indent + "  ");
        os << indent << ")";
        return;
    }
    std::string label = module_label(m);
    bool has_children = !m.children().empty() && !linear;
    if (!has_children) {
        os << label << (label.back() == ')' ? "" : "()");
        return;
    }
    os << label << "(\n";
    const auto& children = m.children();
    for (size_t i = 0; i < children.size();) {
        const std::string& name = children[i].first;
        size_t dot = name.find('.');
        if (dot == std::string::npos) {
            print_child(os, name, *children[i].second, indent + "  ");
            i++;
            continue;
        }
        std::string group = name.substr(0, dot);  // an nn.Sequential: "layers.0", "layers.1", ...
        os << indent << "  (" << group << "): Sequential(\n";
        for (; i < children.size() && children[i].first.compare(0, dot + 1, group + ".") == 0; i++)
            print_child(os, children[i].first.substr(dot + 1), *children[i].second, indent + "    ");
        os << indent << "  )\n";
    }
    os << indent << ")";
}

}  // namespace appendix_e
