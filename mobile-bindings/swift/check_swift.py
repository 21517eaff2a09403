"""No Swift compiler runs on this machine (Debian has none), so the generated Swift is
checked as far as can be here: it must parse as Swift (tree-sitter's Swift grammar), every
function its Swift calls through the FFI must be declared in the C header, and the header
itself must compile (gcc, run by scripts/test-all)."""

import re
import sys
import pathlib

import tree_sitter
import tree_sitter_swift

folder = pathlib.Path(sys.argv[1])
swift = (folder / "passport_wallet.swift").read_bytes()
# `@_documentation(visibility:)` is an underscored attribute that uniffi emits and this
# grammar does not know; it only hides declarations from generated docs, so it is blanked
# (same length, so line numbers hold) before parsing.
# `{ () }` (a closure returning the empty tuple) is valid Swift the grammar misreads; an
# empty closure has the same type.
swift = swift.replace(b"{ () }", b"{    }")
swift = re.sub(rb"@_documentation\(visibility: *[a-z]+\)", lambda m: b" " * len(m.group(0)), swift)
header = (folder / "passport_walletFFI.h").read_text()

parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
tree = parser.parse(swift)
errors = []


def walk(node):
    if node.is_error or node.is_missing:
        errors.append(node)
    for child in node.children:
        walk(child)


walk(tree.root_node)
for node in errors[:10]:
    line = node.start_point[0] + 1
    print(f"passport_wallet.swift:{line}: does not parse: {swift.splitlines()[line - 1][:120]!r}")

called = set(re.findall(rb"\b(uniffi_passport_wallet_[a-z0-9_]+|ffi_passport_wallet_[a-z0-9_]+)\s*\(", swift))
declared = set(re.findall(r"\b(uniffi_passport_wallet_[a-z0-9_]+|ffi_passport_wallet_[a-z0-9_]+)\s*\(", header))
undeclared = sorted(name.decode() for name in called if name.decode() not in declared)
for name in undeclared:
    print(f"passport_wallet.swift calls {name}, which the C header does not declare")

print(f"swift: {len(swift.splitlines())} lines parsed, {len(errors)} syntax errors; "
      f"{len(called)} FFI functions called, {len(undeclared)} undeclared")
sys.exit(1 if errors or undeclared or not called else 0)
