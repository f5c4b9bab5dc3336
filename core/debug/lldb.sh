#!/bin/sh
# Runs lldb with the given arguments (make lldb and tests/test_debugger.cpp use it).
#
# Debian's and Ubuntu's lldb packages (and apt.llvm.org's) report, with `lldb -P`, a folder
# for lldb's own Python module that does not exist (/usr/lib/local/lib/python3.11/...;
# llvm/llvm-project issue 55575). lldb's Python then cannot start, and every `script` and
# formatter fails with "No module named 'lldb.embedded_interpreter'". When that is so,
# this puts the folder that does hold the module, beside the lldb binary's own lib/, on
# PYTHONPATH. Elsewhere (macOS, a working lldb) it changes nothing.
LLDB=${LLDB:-lldb}

has_module() { [ -n "$1" ] && [ -f "$1/lldb/embedded_interpreter.py" ]; }

reported=$("$LLDB" -P 2>/dev/null | tail -n 1)
if ! has_module "$reported"; then
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v "$LLDB")")")")  # /usr/lib/llvm-14
  for dir in "$prefix"/lib/python3*/dist-packages "$prefix"/lib/python3*/site-packages; do
    if has_module "$dir"; then
      PYTHONPATH="$dir${PYTHONPATH:+:$PYTHONPATH}"
      export PYTHONPATH
      break
    fi
  done
fi
exec "$LLDB" "$@"
