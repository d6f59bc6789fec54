"""app/Dockerfile read as data, for the tests that check it and for tests/image_start.py, which
replays it. Only the syntax this Dockerfile uses: comments, backslash continuations, one
instruction per logical line, exec-form (JSON) ENTRYPOINT and CMD.
"""

import json
import re
import shlex
from dataclasses import dataclass, field

from tests.live import APP_DIR

PATH = APP_DIR / "Dockerfile"
IGNORE_PATH = APP_DIR / ".dockerignore"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list = field(default_factory=list)  # (INSTRUCTION, arguments)

    def all(self, name):
        return [args for instruction, args in self.instructions if instruction == name]

    def one(self, name):
        found = self.all(name)
        if len(found) != 1:
            raise ValueError(f"stage {self.name}: {len(found)} {name} instructions, expected 1")
        return found[0]


def instructions(text):
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, args = line.strip().partition(" ")
            pairs.append((instruction.upper(), args.strip()))
    return pairs


def stages(text=None):
    """The stages in order; ARG values before the first FROM substitute into FROM lines."""
    args, result = {}, []
    for instruction, arguments in instructions(PATH.read_text() if text is None else text):
        if instruction == "ARG" and not result:
            name, _, default = arguments.partition("=")
            args[name] = default
        elif instruction == "FROM":
            base, _, name = arguments.partition(" AS ")
            result.append(Stage(name.strip(), re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base.strip())))
        elif result:
            result[-1].instructions.append((instruction, arguments))
        else:
            raise ValueError(f"{instruction} before the first FROM")
    return result


def env_assignments(arguments):
    """ENV k=v k2="v 2" -> [(k, v), (k2, "v 2")] (values unexpanded)."""
    return [tuple(word.split("=", 1)) for word in shlex.split(arguments)]


def exec_form(arguments):
    """ENTRYPOINT/CMD ["a", "b"] -> ["a", "b"]; shell form is refused (no PID 1 signal delivery)."""
    words = json.loads(arguments)
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError(f"not exec form: {arguments}")
    return words


def pip_install_words(stage):
    """The `pip install …` RUN of a stage, as words."""
    runs = [shlex.split(args) for args in stage.all("RUN") if args.startswith("pip install")]
    if len(runs) != 1:
        raise ValueError(f"stage {stage.name}: {len(runs)} `pip install` RUN lines, expected 1")
    return runs[0]


def ignore_patterns():
    """.dockerignore's patterns (blank lines and comments dropped)."""
    if not IGNORE_PATH.exists():
        return []
    lines = (line.strip() for line in IGNORE_PATH.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]
